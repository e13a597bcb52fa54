"""Top-1 mixture-of-experts layer built on the grouped matmul kernel."""

from sgl_jax.srt.kernels.gmm import gmm
from sgl_jax.srt.utils import dot


def route_top1(tokens, gate):
    """Expert index with the highest gate score for every token (ties -> lowest index)."""
    routes = []
    for tok in tokens:
        scores = [dot(tok, g) for g in gate]
        routes.append(max(range(len(scores)), key=lambda e, s=scores: (s[e], -e)))
    return routes


class TopOneMoE:
    """Routes each token to one expert and runs all experts with a single gmm call."""

    def __init__(self, gate, expert_weights):
        if len(gate) != len(expert_weights):
            raise ValueError(f"moe: {len(gate)} gate rows but {len(expert_weights)} experts")
        self.gate = gate
        self.experts = expert_weights

    def __call__(self, tokens):
        routes = route_top1(tokens, self.gate)
        order = sorted(range(len(tokens)), key=lambda i: (routes[i], i))
        group_sizes = [routes.count(e) for e in range(len(self.experts))]
        out_sorted = gmm([tokens[i] for i in order], self.experts, group_sizes)
        out = [None] * len(tokens)
        for pos, i in enumerate(order):
            out[i] = out_sorted[pos]
        return out
