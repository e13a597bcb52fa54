"""Token sampling from logits with temperature, top-k and top-p."""

import random

from sgl_jax.srt.utils.common_utils import softmax

from .sampling_params import SamplingParams


def sample(logits, params=None, rng=None):
    """Index of the chosen token."""
    params = params or SamplingParams()
    if not logits:
        raise ValueError("sample: empty logits")
    if params.is_greedy:
        return max(range(len(logits)), key=lambda i: (logits[i], -i))
    rng = rng or random.Random(params.seed)
    order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
    if params.top_k > 0:
        order = order[: params.top_k]
    probs = softmax([logits[i] / params.temperature for i in order])
    kept, cumulative = [], 0.0
    for idx, p in zip(order, probs):
        kept.append((idx, p))
        cumulative += p
        if cumulative >= params.top_p:
            break
    total = sum(p for _, p in kept)
    threshold = rng.random() * total
    for idx, p in kept:
        threshold -= p
        if threshold <= 0:
            return idx
    return kept[-1][0]
