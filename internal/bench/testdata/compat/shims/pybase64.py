"""Offline stand-in for pybase64 (only imported by bench_serving)."""
from base64 import b64decode, b64encode  # noqa: F401
