"""E2E accuracy with tensor parallelism over 4 chips (skipped without TPUCI_CHIPS / XLA_FLAGS).

tpuci runs: `python -m unittest test_eval_tp4.TestEvalTP4.test_mmlu`.
"""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import unittest  # noqa: E402

from eval_common import GSM8K_THRESHOLD, MMLU_THRESHOLD, report  # noqa: E402
from sgl_jax.test.server_utils import available_chips, kill_process_tree, popen_launch_server  # noqa: E402
from sgl_jax.test.simple_eval import run_eval  # noqa: E402

TP_SIZE = 4


class TestEvalTP4(unittest.TestCase):
    process = None
    base_url = None

    @classmethod
    def setUpClass(cls):
        # Skip inside the tests, not here: Python 3.12.1's unittest exits 5 when no test ran.
        if available_chips() is not None:
            cls.process, cls.base_url = popen_launch_server(tp_size=TP_SIZE)

    @classmethod
    def tearDownClass(cls):
        if cls.process is not None:
            kill_process_tree(cls.process)

    def setUp(self):
        if self.process is None:
            self.skipTest("no TPUCI_CHIPS or XLA_FLAGS device count: not run by tpuci")

    def test_mmlu(self):
        metrics = run_eval(self.base_url, "mmlu")
        report("TestEvalTP4.test_mmlu", metrics)
        self.assertGreater(metrics["score"], MMLU_THRESHOLD)

    def test_gsm8k(self):
        metrics = run_eval(self.base_url, "gsm8k")
        report("TestEvalTP4.test_gsm8k", metrics)
        self.assertGreater(metrics["score"], GSM8K_THRESHOLD)


if __name__ == "__main__":
    unittest.main()
