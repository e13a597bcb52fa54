"""4-chip unit test: a column-parallel linear layer split over every chip tpuci provides.

tpuci exports TPUCI_CHIPS (and XLA_FLAGS=--xla_force_host_platform_device_count=N on CPU).
Run by hand without them, the test is skipped.
"""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

from sgl_jax.srt.layers.linear import ColumnParallelLinear, shard_columns  # noqa: E402
from sgl_jax.srt.utils import allclose, matmul  # noqa: E402
from sgl_jax.test.server_utils import available_chips  # noqa: E402

REQUIRED_CHIPS = 4


class TestColumnParallelTP4(unittest.TestCase):
    # Skips happen per test, not in setUpClass: Python 3.12.1's unittest exits 5 when no test ran.
    def _require_chips(self):
        chips = available_chips()
        if chips is None:
            self.skipTest("no TPUCI_CHIPS or XLA_FLAGS device count: not run by tpuci")
        return chips

    def test_four_chips_provided(self):
        self.assertEqual(self._require_chips(), REQUIRED_CHIPS, "this suite needs exactly 4 chips")

    def test_sharded_matmul_matches_unsharded(self):
        chips = self._require_chips()
        weight = [[float((r * 7 + c) % 5 - 2) for c in range(10)] for r in range(6)]
        x = [[0.5 * (i - j) for j in range(6)] for i in range(3)]
        layer = ColumnParallelLinear(weight, tp_size=chips)
        self.assertEqual(len(layer.shards), REQUIRED_CHIPS)
        self.assertTrue(allclose(layer(x), matmul(x, weight)))

    def test_shard_widths(self):
        shards = shard_columns([[1.0] * 10], REQUIRED_CHIPS)
        self.assertEqual([len(s[0]) for s in shards], [3, 3, 3, 1])


if __name__ == "__main__":
    unittest.main()
