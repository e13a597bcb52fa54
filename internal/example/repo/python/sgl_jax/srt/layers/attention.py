"""Reference (naive) attention used as the ground truth for the attention kernels."""

import math

from sgl_jax.srt.utils import dot, softmax

from .rotary_embedding import RotaryEmbedding


def scaled_dot_product_attention(q, k, v, causal=True, scale=None):
    """Attention of queries q[Tq][d] over keys k[Tk][d] and values v[Tk][dv].

    With causal=True query i may see keys j <= i + (Tk - Tq), i.e. the queries are the
    last Tq tokens of the sequence (prefill when Tq == Tk, decode when Tq == 1).
    """
    if len(k) != len(v):
        raise ValueError(f"attention: {len(k)} keys but {len(v)} values")
    if not q:
        return []
    if not k:
        raise ValueError("attention: no keys to attend to")
    scale = 1.0 / math.sqrt(len(q[0])) if scale is None else scale
    offset = len(k) - len(q)
    out = []
    for i, query in enumerate(q):
        visible = len(k) if not causal else min(len(k), i + offset + 1)
        if visible <= 0:
            raise ValueError(f"attention: query {i} sees no key (Tq={len(q)} > Tk={len(k)})")
        weights = softmax([dot(query, k[j]) * scale for j in range(visible)])
        out.append([sum(w * v[j][c] for j, w in enumerate(weights)) for c in range(len(v[0]))])
    return out


class Attention:
    """Multi-head attention with grouped KV heads and rotary positions."""

    def __init__(self, num_heads, num_kv_heads, head_dim, rope_base=10000.0):
        if num_heads % num_kv_heads:
            raise ValueError(f"attention: {num_heads} heads not divisible by {num_kv_heads} kv heads")
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.head_dim = head_dim
        self.rope = RotaryEmbedding(head_dim, rope_base)

    def __call__(self, positions, q_heads, k_heads, v_heads):
        """q_heads[h][t][d], k_heads/v_heads[kvh][t][d] -> out[h][t][d]."""
        group = self.num_heads // self.num_kv_heads
        out = []
        for h in range(self.num_heads):
            kvh = h // group
            q, k = self.rope(positions, q_heads[h], k_heads[kvh])
            out.append(scaled_dot_product_attention(q, k, v_heads[kvh]))
        return out
