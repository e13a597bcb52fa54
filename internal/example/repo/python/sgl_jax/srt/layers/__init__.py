"""Model layers."""

from .attention import Attention, scaled_dot_product_attention
from .layernorm import RMSNorm, rms_norm
from .rotary_embedding import RotaryEmbedding, apply_rotary

__all__ = [
    "Attention",
    "RMSNorm",
    "RotaryEmbedding",
    "apply_rotary",
    "rms_norm",
    "scaled_dot_product_attention",
]
