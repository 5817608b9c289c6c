"""On-device perception and media stages. Imports neither `kiosk` nor `ui`."""
