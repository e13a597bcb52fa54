"""E2E: the server starts, reports health and the package version."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import unittest  # noqa: E402

from sgl_jax import __version__  # noqa: E402
from sgl_jax.test.server_utils import http_get, kill_process_tree, popen_launch_server  # noqa: E402


class TestServerInfo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process, cls.base_url = popen_launch_server()

    @classmethod
    def tearDownClass(cls):
        kill_process_tree(cls.process)

    def test_health(self):
        self.assertEqual(http_get(self.base_url + "/health"), (200, "ok"))
        self.assertEqual(http_get(self.base_url + "/health_generate"), (200, "ok"))

    def test_model_info(self):
        status, info = http_get(self.base_url + "/get_model_info")
        self.assertEqual(status, 200)
        self.assertEqual(info, {"model_path": "toy", "tp_size": 1, "version": __version__})

    def test_unknown_endpoint(self):
        status, body = http_get(self.base_url + "/nope")
        self.assertEqual(status, 404)
        self.assertIn("/nope", body["error"])


if __name__ == "__main__":
    unittest.main()
