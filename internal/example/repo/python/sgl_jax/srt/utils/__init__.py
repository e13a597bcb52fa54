"""Re-exports of the most used helpers."""

from .common_utils import (
    allclose,
    cdiv,
    dot,
    get_bool_env_var,
    matmul,
    next_power_of_2,
    softmax,
    stable_hash,
    transpose,
    visible_device_count,
)

__all__ = [
    "allclose",
    "cdiv",
    "dot",
    "get_bool_env_var",
    "matmul",
    "next_power_of_2",
    "softmax",
    "stable_hash",
    "transpose",
    "visible_device_count",
]
