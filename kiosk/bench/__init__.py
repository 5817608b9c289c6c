"""Benchmarks: each prints its figures and returns a JSON-ready report."""
