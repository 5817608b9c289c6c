"""A local Gemini Live simulator that speaks Google's wire protocol over TLS.

    from kiosk.cloud.sim.server import SimServer, SimThread
    server = SimServer(brain, SimOptions(faults=(parse_fault("stall"),)))
    sim = SimThread(server)          # or `await server.start()` on your own loop
    sim.server.ready_line()          # {"base_url": "https://127.0.0.1:PORT", "ca": ".../ca.pem"}

Modules: `options` (knobs and faults), `vad` (server-side activity detection), `brain`
(scripted STT -> tools -> Piper), `session` (one websocket), `server` (TLS, CA), `cli`.
"""
