"""Unit tests for the grouped matmul kernel and the MoE layer that uses it."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

from sgl_jax.srt.kernels.gmm import gmm  # noqa: E402
from sgl_jax.srt.layers.moe import TopOneMoE, route_top1  # noqa: E402
from sgl_jax.srt.utils import matmul  # noqa: E402

IDENTITY = [[1.0, 0.0], [0.0, 1.0]]
DOUBLE = [[2.0, 0.0], [0.0, 2.0]]


class TestGMM(unittest.TestCase):
    def test_groups_use_their_own_weights(self):
        lhs = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
        out = gmm(lhs, [IDENTITY, DOUBLE], [1, 2])
        self.assertEqual(out, [[1.0, 2.0], [6.0, 8.0], [10.0, 12.0]])

    def test_empty_group(self):
        lhs = [[1.0, 1.0]]
        self.assertEqual(gmm(lhs, [IDENTITY, DOUBLE, IDENTITY], [0, 1, 0]), matmul(lhs, DOUBLE))

    def test_bad_group_sizes(self):
        for sizes in ([1], [2, 2], [-1, 2]):
            with self.subTest(sizes=sizes), self.assertRaises(ValueError):
                gmm([[1.0, 0.0]], [IDENTITY, DOUBLE], sizes)


class TestTopOneMoE(unittest.TestCase):
    def test_tokens_keep_their_order(self):
        gate = [[1.0, 0.0], [0.0, 1.0]]
        tokens = [[0.0, 1.0], [1.0, 0.0], [0.0, 3.0]]
        self.assertEqual(route_top1(tokens, gate), [1, 0, 1])
        out = TopOneMoE(gate, [IDENTITY, DOUBLE])(tokens)
        self.assertEqual(out, [[0.0, 2.0], [1.0, 0.0], [0.0, 6.0]])


if __name__ == "__main__":
    unittest.main()
