"""Telemetry: a redacted SQLite turn log with a TTL, Prometheus metrics and `kiosk stats`."""
