"""Model manifest and derived models, installed as the `kiosk_models` package."""
