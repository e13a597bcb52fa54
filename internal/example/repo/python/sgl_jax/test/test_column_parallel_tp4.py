"""4-chip unit test: a column-parallel matmul sharded over a 4-device jax.sharding.Mesh.

tpuci gives a 4-chip suite 4 devices: the TPU chips, or on a CPU host 4 host devices
(XLA_FLAGS=--xla_force_host_platform_device_count=4). With fewer devices the test fails:
a 4-chip suite that silently ran on one device would prove nothing.
"""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

from sgl_jax.srt.layers.linear import ColumnParallelLinear, tp_mesh  # noqa: E402

REQUIRED_DEVICES = 4


class TestColumnParallelTP4(unittest.TestCase):
    def setUp(self):
        n = jax.device_count()
        self.assertGreaterEqual(
            n, REQUIRED_DEVICES,
            f"{n} JAX device(s) ({jax.default_backend()}); this suite needs {REQUIRED_DEVICES}: run it with "
            f"tpuci, or on a CPU host with XLA_FLAGS=--xla_force_host_platform_device_count={REQUIRED_DEVICES}",
        )
        self.mesh = tp_mesh(jax.devices()[:REQUIRED_DEVICES])

    def test_sharded_matmul_matches_unsharded(self):
        kx, kw = jax.random.split(jax.random.key(0))
        x, w = jax.random.normal(kx, (8, 32)), jax.random.normal(kw, (32, 64))
        y = ColumnParallelLinear(w, self.mesh)(x)
        self.assertLess(float(jnp.abs(y - x @ w).max()), 1e-4)

    def test_output_is_sharded_by_columns(self):
        w = jnp.arange(6 * 16, dtype=jnp.float32).reshape(6, 16)
        y = ColumnParallelLinear(w, self.mesh)(jnp.eye(6)[:3])
        self.assertEqual(y.sharding.spec, P(None, "tp"))
        shards = sorted(y.addressable_shards, key=lambda s: s.index[1].start)
        self.assertEqual(len({s.device for s in shards}), REQUIRED_DEVICES)
        for i, shard in enumerate(shards):
            self.assertEqual(shard.data.shape, (3, 4))
            self.assertEqual(shard.data.tolist(), w[:3, 4 * i : 4 * (i + 1)].tolist())

    def test_uneven_columns_are_refused(self):
        with self.assertRaises(ValueError):
            ColumnParallelLinear(jnp.ones((2, 10)), self.mesh)


if __name__ == "__main__":
    unittest.main()
