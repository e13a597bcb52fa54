"""Grouped matmul (the MoE expert matmul) as a Pallas kernel, with its jax.numpy reference.

lhs rows come in consecutive groups; group g multiplies rhs[g]. The grid walks row tiles of
block_m rows; each tile belongs to one group, whose rhs matrix the BlockSpec index map picks.
Group sizes are static and whole tiles (layers.moe pads its groups).
"""

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from sgl_jax.srt.kernels.utils.backend import interpret


def _gmm_kernel(lhs_ref, rhs_ref, out_ref):
    out = jnp.dot(lhs_ref[...], rhs_ref[0], preferred_element_type=jnp.float32)
    out_ref[...] = out.astype(out_ref.dtype)


def _check(lhs, rhs, group_sizes, block_m):
    if lhs.ndim != 2 or rhs.ndim != 3 or lhs.shape[1] != rhs.shape[1]:
        raise ValueError(f"gmm: lhs {lhs.shape} and rhs {rhs.shape} do not multiply")
    if len(group_sizes) != rhs.shape[0]:
        raise ValueError(f"gmm: {len(group_sizes)} group sizes but {rhs.shape[0]} rhs matrices")
    if any(size < 0 for size in group_sizes):
        raise ValueError("gmm: negative group size")
    if sum(group_sizes) != lhs.shape[0]:
        raise ValueError(f"gmm: group sizes sum to {sum(group_sizes)}, lhs has {lhs.shape[0]} rows")
    if any(size % block_m for size in group_sizes):
        raise ValueError(f"gmm: group sizes {group_sizes} are not whole tiles of {block_m} rows")


@functools.partial(jax.jit, static_argnames=("group_sizes", "block_m", "block_n"))
def _gmm(lhs, rhs, group_sizes, block_m, block_n):
    m, k = lhs.shape
    n = rhs.shape[2]
    # Tile i belongs to group g when i >= the first tile of every group up to g.
    starts, tile = [], 0
    for size in group_sizes[:-1]:
        tile += size // block_m
        starts.append(tile)

    def rhs_block(i, j):
        group = jnp.int32(0)
        for start in starts:
            group = group + (i >= start).astype(jnp.int32)
        return (group, 0, j)

    return pl.pallas_call(
        _gmm_kernel,
        out_shape=jax.ShapeDtypeStruct((m, n), lhs.dtype),
        grid=(m // block_m, n // block_n),
        in_specs=[
            pl.BlockSpec((block_m, k), lambda i, j: (i, 0)),
            pl.BlockSpec((1, k, block_n), rhs_block),
        ],
        out_specs=pl.BlockSpec((block_m, block_n), lambda i, j: (i, j)),
        interpret=interpret(),
    )(lhs, rhs)


def gmm(lhs, rhs, group_sizes, block_m=16, block_n=None):
    """lhs[m, k] split into consecutive groups of group_sizes rows; group g uses rhs[g][k, n]."""
    group_sizes = tuple(int(s) for s in group_sizes)
    _check(lhs, rhs, group_sizes, block_m)
    block_n = block_n or rhs.shape[2]
    if rhs.shape[2] % block_n:
        raise ValueError(f"gmm: block_n {block_n} does not tile {rhs.shape[2]} columns")
    return _gmm(lhs, rhs, group_sizes, block_m, block_n)


def gmm_reference(lhs, rhs, group_sizes):
    """The same product in jax.numpy: each row times its group's matrix."""
    group_of_row = jnp.repeat(jnp.arange(len(group_sizes)), jnp.asarray(group_sizes), total_repeat_length=lhs.shape[0])
    return jnp.einsum("mk,mkn->mn", lhs, rhs[group_of_row]).astype(lhs.dtype)
