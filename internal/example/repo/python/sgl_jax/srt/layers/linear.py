"""Column-parallel linear layer: the weight is split by output columns over a "tp" mesh axis.

Needs JAX (the serving path of the example does not import this module).
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P


def tp_mesh(devices=None):
    """A one-axis ("tp") mesh over the given devices, all of jax.devices() by default."""
    return Mesh(np.array(jax.devices() if devices is None else devices), ("tp",))


class ColumnParallelLinear:
    """y = x @ W with W's columns sharded over the mesh; y stays sharded by columns."""

    def __init__(self, weight, mesh):
        tp = mesh.shape["tp"]
        if weight.shape[1] % tp:
            raise ValueError(f"linear: {weight.shape[1]} output columns do not split over {tp} devices")
        self.mesh = mesh
        self.weight = jax.device_put(weight, NamedSharding(mesh, P(None, "tp")))
        self._matmul = jax.jit(jnp.matmul, out_shardings=NamedSharding(mesh, P(None, "tp")))

    def __call__(self, x):
        return self._matmul(jax.device_put(x, NamedSharding(self.mesh, P())), self.weight)
