"""Helpers shared by the toy runtime: env flags, integer maths, small list-based linear algebra."""

import math
import os
import re
import zlib

_TRUE_VALUES = {"1", "true", "yes", "on"}
_HOST_DEVICE_FLAG = re.compile(r"--xla_force_host_platform_device_count=(\d+)")


def get_bool_env_var(name, default="false"):
    """Return True when env var `name` holds a truthy value (1, true, yes, on)."""
    return os.environ.get(name, default).strip().lower() in _TRUE_VALUES


def cdiv(a, b):
    """Ceiling division for non-negative a and positive b."""
    if b <= 0:
        raise ValueError(f"cdiv: divisor must be positive, got {b}")
    return -(-a // b)


def next_power_of_2(n):
    """Smallest power of two that is >= n (1 for n <= 1)."""
    if n <= 1:
        return 1
    return 1 << (n - 1).bit_length()


def stable_hash(text):
    """A process-independent 32-bit hash of a string (Python's hash() is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))


def softmax(xs):
    """Numerically stable softmax of a list of floats."""
    if not xs:
        return []
    top = max(xs)
    exps = [math.exp(x - top) for x in xs]
    total = sum(exps)
    return [e / total for e in exps]


def dot(a, b):
    """Inner product of two equal-length vectors."""
    if len(a) != len(b):
        raise ValueError(f"dot: length mismatch {len(a)} != {len(b)}")
    return sum(x * y for x, y in zip(a, b))


def transpose(m):
    """Transpose of a list-of-rows matrix."""
    return [list(col) for col in zip(*m)]


def matmul(a, b):
    """Product of an (m x k) and a (k x n) list-of-rows matrix."""
    if a and b and len(a[0]) != len(b):
        raise ValueError(f"matmul: inner dimensions differ ({len(a[0])} != {len(b)})")
    cols = transpose(b)
    return [[dot(row, col) for col in cols] for row in a]


def allclose(a, b, tol=1e-6):
    """True when two nested lists of floats have the same shape and differ by at most tol."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
    if isinstance(a, (int, float)) or isinstance(b, (int, float)) or len(a) != len(b):
        return False
    return all(allclose(x, y, tol) for x, y in zip(a, b))


def visible_device_count():
    """Number of accelerator chips handed to this process, or None when nobody said.

    tpuci exports TPUCI_CHIPS; a CPU run that fakes devices uses XLA_FLAGS with
    --xla_force_host_platform_device_count=N. TPUCI_CHIPS wins when both are set.
    """
    chips = os.environ.get("TPUCI_CHIPS", "").strip()
    if chips:
        try:
            return int(chips)
        except ValueError as exc:
            raise ValueError(f"TPUCI_CHIPS must be an integer, got {chips!r}") from exc
    match = _HOST_DEVICE_FLAG.search(os.environ.get("XLA_FLAGS", ""))
    if match:
        return int(match.group(1))
    return None
