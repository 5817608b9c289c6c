"""The retail-kiosk agent: config, store pack and catalog, agent, cloud, telemetry, CLI."""

__version__ = "0.1.0"
