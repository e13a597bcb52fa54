"""E2E accuracy on the bundled MMLU- and GSM8K-style data with one chip.

tpuci runs the methods one by one: `python -m unittest test_eval_small.TestEvalSmall.test_mmlu`.
"""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import unittest  # noqa: E402

from eval_common import GSM8K_THRESHOLD, MMLU_THRESHOLD, report  # noqa: E402
from sgl_jax.test.server_utils import kill_process_tree, popen_launch_server  # noqa: E402
from sgl_jax.test.simple_eval import run_eval  # noqa: E402


class TestEvalSmall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process, cls.base_url = popen_launch_server()

    @classmethod
    def tearDownClass(cls):
        kill_process_tree(cls.process)

    def test_mmlu(self):
        metrics = run_eval(self.base_url, "mmlu")
        report("TestEvalSmall.test_mmlu", metrics)
        self.assertGreaterEqual(metrics["num_examples"], 120)
        self.assertGreater(metrics["score"], MMLU_THRESHOLD)

    def test_gsm8k(self):
        metrics = run_eval(self.base_url, "gsm8k")
        report("TestEvalSmall.test_gsm8k", metrics)
        self.assertGreaterEqual(metrics["num_examples"], 60)
        self.assertGreater(metrics["score"], GSM8K_THRESHOLD)


if __name__ == "__main__":
    unittest.main()
