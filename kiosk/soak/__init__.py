"""`kiosk soak`: the headless agent for hundreds of turns, with faults injected on a schedule.

A scripted shopper (Piper speaking a fixed set of questions into a virtual microphone) talks to
the real turn engine, the real Gemini Live client and the local simulator, through a capture
proxy that keeps every byte the kiosk sends. Faults arrive on a schedule: the simulator drops,
closes, stalls or garbles a turn, the camera is unplugged, the microphone errors, the telemetry
disk fills up, a config is applied. The report says what broke: crashes, turns without an answer
within 3 s, reconnects, memory growth, stuck states, and the privacy checks on the capture.
"""
