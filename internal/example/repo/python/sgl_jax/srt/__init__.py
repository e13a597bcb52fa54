"""Serving runtime of the example package."""
