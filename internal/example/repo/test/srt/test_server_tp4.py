"""E2E with 4 chips: the server accepts --tp-size 4 only when 4 chips were provided.

Skipped when run by hand without TPUCI_CHIPS / XLA_FLAGS.
"""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import subprocess  # noqa: E402
import unittest  # noqa: E402

from sgl_jax.test.server_utils import (  # noqa: E402
    PYTHON_DIR,
    available_chips,
    http_get,
    kill_process_tree,
    popen_launch_server,
)

TP_SIZE = 4


class TestServerTP4(unittest.TestCase):
    def setUp(self):
        if available_chips() is None:
            self.skipTest("no TPUCI_CHIPS or XLA_FLAGS device count: not run by tpuci")

    def test_tp4_server_reports_tp_size(self):
        self.assertEqual(available_chips(), TP_SIZE)
        process, base_url = popen_launch_server(tp_size=TP_SIZE)
        try:
            self.assertEqual(http_get(base_url + "/get_model_info")[1]["tp_size"], TP_SIZE)
        finally:
            kill_process_tree(process)

    def test_too_few_chips_is_refused(self):
        env = dict(os.environ, TPUCI_CHIPS="1", PYTHONPATH=PYTHON_DIR)
        result = subprocess.run(
            [sys.executable, "-m", "sgl_jax.launch_server", "--tp-size", str(TP_SIZE)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        self.assertEqual(result.returncode, 2)
        self.assertIn("--tp-size 4 needs 4 chips", result.stderr)


if __name__ == "__main__":
    unittest.main()
