"""Top-1 mixture-of-experts layer built on the grouped matmul kernel (needs JAX)."""

import jax.numpy as jnp
import numpy as np

from sgl_jax.srt.kernels.gmm import gmm


def route_top1(tokens, gate):
    """Expert index with the highest gate score for every token (ties -> lowest index)."""
    return jnp.argmax(tokens @ gate.T, axis=1)


class TopOneMoE:
    """Routes each token to one expert and runs all experts with a single gmm call.

    Tokens are sorted by expert and each expert's rows padded to whole gmm tiles.
    """

    def __init__(self, gate, expert_weights, block_m=8):
        if gate.shape[0] != expert_weights.shape[0]:
            raise ValueError(f"moe: {gate.shape[0]} gate rows but {expert_weights.shape[0]} experts")
        self.gate = gate
        self.experts = expert_weights
        self.block_m = block_m

    def __call__(self, tokens):
        routes = np.asarray(route_top1(tokens, self.gate))
        experts, dim = self.experts.shape[0], tokens.shape[1]
        counts = np.bincount(routes, minlength=experts)
        padded = -(-counts // self.block_m) * self.block_m
        # Row of each token in the padded, expert-sorted lhs.
        order = np.argsort(routes, kind="stable")
        first_row = np.concatenate([[0], np.cumsum(padded)[:-1]])
        rank = np.arange(len(routes)) - np.concatenate([[0], np.cumsum(counts)[:-1]])[routes[order]]
        rows = np.empty(len(routes), dtype=np.int64)
        rows[order] = first_row[routes[order]] + rank
        lhs = jnp.zeros((int(padded.sum()), dim), tokens.dtype).at[rows].set(tokens)
        out = gmm(lhs, self.experts, tuple(int(p) for p in padded), block_m=self.block_m)
        return out[rows]
