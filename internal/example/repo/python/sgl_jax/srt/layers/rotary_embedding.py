"""Rotary position embedding (rotate-half layout) on plain Python lists."""

import math

from sgl_jax.srt.utils.common_utils import dot


def inverse_frequencies(head_dim, base=10000.0):
    """One inverse frequency per rotated pair; head_dim must be even."""
    if head_dim <= 0 or head_dim % 2:
        raise ValueError(f"rotary: head_dim must be a positive even number, got {head_dim}")
    half = head_dim // 2
    return [base ** (-2.0 * i / head_dim) for i in range(half)]


def apply_rotary(vec, position, base=10000.0):
    """Rotate the two halves of vec by angles position * inv_freq."""
    half = len(vec) // 2
    out = [0.0] * len(vec)
    for i, freq in enumerate(inverse_frequencies(len(vec), base)):
        cos, sin = math.cos(position * freq), math.sin(position * freq)
        x1, x2 = vec[i], vec[i + half]
        out[i] = x1 * cos - x2 * sin
        out[i + half] = x2 * cos + x1 * sin
    return out


class RotaryEmbedding:
    """Applies rotary embedding to per-token query and key vectors."""

    def __init__(self, head_dim, base=10000.0, max_position=4096):
        inverse_frequencies(head_dim, base)  # validates head_dim
        self.head_dim = head_dim
        self.base = base
        self.max_position = max_position

    def __call__(self, positions, queries, keys):
        if not len(positions) == len(queries) == len(keys):
            raise ValueError("rotary: positions, queries and keys must have the same length")
        rotated_q, rotated_k = [], []
        for pos, q, k in zip(positions, queries, keys):
            if not 0 <= pos < self.max_position:
                raise ValueError(f"rotary: position {pos} outside [0, {self.max_position})")
            rotated_q.append(apply_rotary(q, pos, self.base))
            rotated_k.append(apply_rotary(k, pos, self.base))
        return rotated_q, rotated_k

    def relative_score(self, q, k, q_pos, k_pos):
        """Score of q at q_pos against k at k_pos; depends only on q_pos - k_pos."""
        return dot(apply_rotary(q, q_pos, self.base), apply_rotary(k, k_pos, self.base))
