"""PySide6 kiosk screen. An observer of the agent's events; never in the audio path."""
