"""The Pallas grouped matmul against its jax.numpy reference, and the MoE layer on it."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from sgl_jax.srt.kernels.gmm import gmm, gmm_reference  # noqa: E402
from sgl_jax.srt.layers.moe import TopOneMoE, route_top1  # noqa: E402


def _operands(m, k, n, groups):
    kl, kr = jax.random.split(jax.random.key(m + groups))
    return jax.random.normal(kl, (m, k)), jax.random.normal(kr, (groups, k, n))


class TestGMM(unittest.TestCase):
    def test_matches_reference(self):
        for sizes, k, n, block_n in (((16, 32, 16), 32, 32, None), ((32, 0, 16), 16, 64, 32)):
            with self.subTest(sizes=sizes, block_n=block_n):
                lhs, rhs = _operands(sum(sizes), k, n, len(sizes))
                got = gmm(lhs, rhs, sizes, block_m=16, block_n=block_n)
                self.assertEqual(got.shape, (sum(sizes), n))
                self.assertLess(float(jnp.abs(got - gmm_reference(lhs, rhs, sizes)).max()), 1e-4)

    def test_groups_use_their_own_weights(self):
        rhs = jnp.stack([jnp.eye(4), 2 * jnp.eye(4)])
        out = gmm(jnp.ones((24, 4)), rhs, (8, 16), block_m=8)
        self.assertEqual(float(out[:8].sum()), 32.0)
        self.assertEqual(float(out[8:].sum()), 128.0)

    def test_bad_group_sizes(self):
        lhs, rhs = _operands(32, 8, 8, 2)
        for sizes in ((32,), (16, 8), (-16, 48), (8, 24)):
            with self.subTest(sizes=sizes), self.assertRaises(ValueError):
                gmm(lhs, rhs, sizes, block_m=16)


class TestTopOneMoE(unittest.TestCase):
    def test_tokens_keep_their_order(self):
        gate = jnp.eye(2)
        tokens = jnp.array([[0.0, 1.0], [1.0, 0.0], [0.0, 3.0]])
        self.assertEqual(route_top1(tokens, gate).tolist(), [1, 0, 1])
        out = TopOneMoE(gate, jnp.stack([jnp.eye(2), 2 * jnp.eye(2)]), block_m=8)(tokens)
        self.assertEqual(out.tolist(), [[0.0, 2.0], [1.0, 0.0], [0.0, 6.0]])


if __name__ == "__main__":
    unittest.main()
