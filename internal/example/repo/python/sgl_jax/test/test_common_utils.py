"""Unit tests for sgl_jax.srt.utils."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

from sgl_jax.srt.utils import (  # noqa: E402
    allclose,
    cdiv,
    get_bool_env_var,
    matmul,
    next_power_of_2,
    softmax,
    stable_hash,
    visible_device_count,
)


class TestCommonUtils(unittest.TestCase):
    def test_cdiv(self):
        self.assertEqual([cdiv(n, 4) for n in (0, 1, 4, 5, 8, 9)], [0, 1, 1, 2, 2, 3])
        with self.assertRaises(ValueError):
            cdiv(3, 0)

    def test_next_power_of_2(self):
        self.assertEqual([next_power_of_2(n) for n in (0, 1, 2, 3, 5, 64, 65)], [1, 1, 2, 4, 8, 64, 128])

    def test_softmax_sums_to_one_and_is_shift_invariant(self):
        probs = softmax([1.0, 2.0, 3.0])
        self.assertAlmostEqual(sum(probs), 1.0)
        self.assertTrue(allclose(probs, softmax([1001.0, 1002.0, 1003.0])))
        self.assertEqual(softmax([]), [])

    def test_matmul(self):
        self.assertEqual(matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]), [[19, 22], [43, 50]])
        with self.assertRaises(ValueError):
            matmul([[1, 2]], [[1, 2]])

    def test_stable_hash_is_deterministic(self):
        self.assertEqual(stable_hash("sgl-jax"), stable_hash("sgl-jax"))
        self.assertNotEqual(stable_hash("a"), stable_hash("b"))


class TestEnv(unittest.TestCase):
    def setUp(self):
        self.saved = {k: os.environ.get(k) for k in ("TPUCI_CHIPS", "XLA_FLAGS", "SGL_FLAG")}

    def tearDown(self):
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def test_bool_env(self):
        for value, want in (("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False)):
            os.environ["SGL_FLAG"] = value
            self.assertEqual(get_bool_env_var("SGL_FLAG"), want, value)
        os.environ.pop("SGL_FLAG")
        self.assertFalse(get_bool_env_var("SGL_FLAG"))

    def test_visible_device_count(self):
        os.environ.pop("TPUCI_CHIPS", None)
        os.environ["XLA_FLAGS"] = "--xla_dump_to=/tmp/x --xla_force_host_platform_device_count=8"
        self.assertEqual(visible_device_count(), 8)
        os.environ["TPUCI_CHIPS"] = "4"
        self.assertEqual(visible_device_count(), 4)
        os.environ["TPUCI_CHIPS"] = "four"
        with self.assertRaises(ValueError):
            visible_device_count()
        os.environ.pop("TPUCI_CHIPS")
        os.environ["XLA_FLAGS"] = ""
        self.assertIsNone(visible_device_count())


if __name__ == "__main__":
    unittest.main()
