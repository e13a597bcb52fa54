"""Column-parallel linear layer: the weight is split by output columns over tp_size shards."""

from sgl_jax.srt.utils.common_utils import cdiv, matmul


def shard_columns(weight, tp_size):
    """Split weight[k][n] into tp_size column blocks (the last one may be narrower)."""
    if tp_size <= 0:
        raise ValueError(f"tp_size must be positive, got {tp_size}")
    n = len(weight[0])
    width = cdiv(n, tp_size)
    return [[row[s * width : (s + 1) * width] for row in weight] for s in range(tp_size)]


class ColumnParallelLinear:
    """y = x @ W computed shard by shard and gathered, as a TP layer would on tp_size chips."""

    def __init__(self, weight, tp_size):
        self.tp_size = tp_size
        self.shards = shard_columns(weight, tp_size)

    def __call__(self, x):
        partials = [matmul(x, shard) for shard in self.shards]
        return [sum((p[r] for p in partials), []) for r in range(len(x))]
