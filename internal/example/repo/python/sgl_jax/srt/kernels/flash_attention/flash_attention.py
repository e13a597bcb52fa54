"""Flash attention as a Pallas kernel (blocked, online softmax), with its jax.numpy reference.

q[h, tq, d] attends over k, v[h, tk, d]. The grid walks heads and query blocks; the kernel
visits key blocks one at a time, keeping a running maximum, normaliser and weighted sum per
query, so no full row of scores exists. With causal=True the queries are the last tq tokens
(prefill when tq == tk, decode when tq is small) and key blocks past a query block are skipped.
"""

import functools
import math

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from sgl_jax.srt.kernels.utils.backend import interpret

_MASKED = -1e30  # finite, so a fully masked block cannot produce NaN


def _flash_kernel(q_ref, k_ref, v_ref, out_ref, *, block_q, block_k, causal, scale, offset):
    qi = pl.program_id(1)
    q = q_ref[0].astype(jnp.float32) * scale
    rows = qi * block_q + jnp.arange(block_q)[:, None] + offset
    tk = k_ref.shape[1]
    if causal:  # the last key any query of this block sees, + 1
        visible = jnp.minimum(tk, (qi + 1) * block_q + offset)
        num_blocks = (visible + block_k - 1) // block_k
    else:
        num_blocks = tk // block_k

    def body(kb, carry):
        running_max, norm, acc = carry
        start = pl.multiple_of(kb * block_k, block_k)
        k = k_ref[0, pl.ds(start, block_k), :].astype(jnp.float32)
        v = v_ref[0, pl.ds(start, block_k), :].astype(jnp.float32)
        scores = q @ k.T
        if causal:
            cols = start + jnp.arange(block_k)[None, :]
            scores = jnp.where(cols <= rows, scores, _MASKED)
        new_max = jnp.maximum(running_max, scores.max(axis=1, keepdims=True))
        correction = jnp.exp(running_max - new_max)
        p = jnp.exp(scores - new_max)
        return new_max, norm * correction + p.sum(axis=1, keepdims=True), acc * correction + p @ v

    init = (
        jnp.full((block_q, 1), _MASKED, jnp.float32),
        jnp.zeros((block_q, 1), jnp.float32),
        jnp.zeros((block_q, v_ref.shape[2]), jnp.float32),
    )
    _, norm, acc = jax.lax.fori_loop(0, num_blocks, body, init)
    out_ref[0] = (acc / norm).astype(out_ref.dtype)


@functools.partial(jax.jit, static_argnames=("block_q", "block_k", "causal"))
def _flash(q, k, v, block_q, block_k, causal):
    heads, tq, d = q.shape
    tk = k.shape[1]
    kernel = functools.partial(
        _flash_kernel, block_q=block_q, block_k=block_k, causal=causal, scale=1.0 / math.sqrt(d), offset=tk - tq
    )
    return pl.pallas_call(
        kernel,
        out_shape=jax.ShapeDtypeStruct((heads, tq, v.shape[2]), q.dtype),
        grid=(heads, tq // block_q),
        in_specs=[
            pl.BlockSpec((1, block_q, d), lambda h, i: (h, i, 0)),
            pl.BlockSpec((1, tk, d), lambda h, i: (h, 0, 0)),
            pl.BlockSpec((1, tk, v.shape[2]), lambda h, i: (h, 0, 0)),
        ],
        out_specs=pl.BlockSpec((1, block_q, v.shape[2]), lambda h, i: (h, i, 0)),
        interpret=interpret(),
    )(q, k, v)


def flash_attention(q, k, v, block_q=16, block_k=16, causal=True):
    """Attention of q[h, tq, d] over k[h, tk, d] and v[h, tk, dv], block by block."""
    if block_q <= 0 or block_k <= 0:
        raise ValueError(f"flash_attention: block sizes must be positive, got {block_q}x{block_k}")
    if q.ndim != 3 or k.shape != v.shape[:2] + (q.shape[2],) or q.shape[0] != k.shape[0]:
        raise ValueError(f"flash_attention: shapes q {q.shape}, k {k.shape}, v {v.shape} do not fit")
    if q.shape[1] % block_q or k.shape[1] % block_k:
        raise ValueError(f"flash_attention: blocks {block_q}x{block_k} do not tile {q.shape[1]}x{k.shape[1]}")
    if causal and q.shape[1] > k.shape[1]:
        raise ValueError(f"flash_attention: {q.shape[1]} queries but only {k.shape[1]} keys")
    return _flash(q, k, v, block_q, block_k, causal)


def attention_reference(q, k, v, causal=True):
    """The same attention in jax.numpy, with the full score matrix."""
    tq, tk = q.shape[1], k.shape[1]
    scores = jnp.einsum("hqd,hkd->hqk", q, k) / math.sqrt(q.shape[2])
    if causal:
        mask = jnp.arange(tk)[None, :] <= jnp.arange(tq)[:, None] + (tk - tq)
        scores = jnp.where(mask, scores, -jnp.inf)
    return jnp.einsum("hqk,hkd->hqd", jax.nn.softmax(scores, axis=-1), v).astype(q.dtype)
