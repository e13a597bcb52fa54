"""Blocked attention with an online softmax, the algorithm behind flash attention."""

import math

from sgl_jax.srt.utils.common_utils import cdiv


def flash_attention(q, k, v, block_q=8, block_k=8, causal=True, scale=None):
    """Same result as layers.attention.scaled_dot_product_attention, computed block by block.

    Keys are visited in blocks of block_k; for each query a running maximum, normaliser and
    weighted sum are kept so no full row of scores is ever materialised.
    """
    if block_q <= 0 or block_k <= 0:
        raise ValueError(f"flash_attention: block sizes must be positive, got {block_q}x{block_k}")
    if len(k) != len(v):
        raise ValueError(f"flash_attention: {len(k)} keys but {len(v)} values")
    if not q:
        return []
    head_dim, value_dim = len(q[0]), len(v[0])
    scale = 1.0 / math.sqrt(head_dim) if scale is None else scale
    offset = len(k) - len(q)
    out = []
    for qb in range(cdiv(len(q), block_q)):
        for i in range(qb * block_q, min(len(q), (qb + 1) * block_q)):
            limit = len(k) if not causal else min(len(k), i + offset + 1)
            if limit <= 0:
                raise ValueError(f"flash_attention: query {i} sees no key")
            running_max, norm = -math.inf, 0.0
            acc = [0.0] * value_dim
            for kb in range(cdiv(limit, block_k)):
                lo, hi = kb * block_k, min(limit, (kb + 1) * block_k)
                scores = [sum(a * b for a, b in zip(q[i], k[j])) * scale for j in range(lo, hi)]
                block_max = max(scores)
                new_max = max(running_max, block_max)
                correction = math.exp(running_max - new_max) if norm else 0.0
                norm *= correction
                acc = [a * correction for a in acc]
                for j, s in zip(range(lo, hi), scores):
                    p = math.exp(s - new_max)
                    norm += p
                    vj = v[j]
                    for c in range(value_dim):
                        acc[c] += p * vj[c]
                running_max = new_max
            out.append([a / norm for a in acc])
    return out
