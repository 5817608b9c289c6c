"""On-device vision: faces, product recognition, barcodes, change, redaction, the cloud frame."""
