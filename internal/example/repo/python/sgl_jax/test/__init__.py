"""Unit tests and test helpers."""
