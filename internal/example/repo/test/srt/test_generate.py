"""E2E: /generate honours sampling parameters and rejects bad requests."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import unittest  # noqa: E402

from sgl_jax.test.server_utils import http_post, kill_process_tree, popen_launch_server  # noqa: E402


class TestGenerate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process, cls.base_url = popen_launch_server()

    @classmethod
    def tearDownClass(cls):
        kill_process_tree(cls.process)

    def _generate(self, payload):
        return http_post(self.base_url + "/generate", payload)

    def test_greedy_is_deterministic_and_bounded(self):
        payload = {"text": "The capital of the cache is", "sampling_params": {"temperature": 0.0, "max_new_tokens": 5}}
        status, first = self._generate(payload)
        self.assertEqual(status, 200)
        self.assertEqual(self._generate(payload)[1], first)
        self.assertLessEqual(first["meta_info"]["completion_tokens"], 5)
        self.assertEqual(first["meta_info"]["cache_miss_count"], 0)

    def test_batch_returns_one_result_per_prompt(self):
        status, out = self._generate({"text": ["What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:", "hello"]})
        self.assertEqual(status, 200)
        self.assertEqual(len(out), 2)
        self.assertEqual(out[0]["text"], "Answer: B")

    def test_bad_requests(self):
        for payload in ({"text": 3}, {"text": "x", "sampling_params": {"top_p": 2}}, {"text": "x", "sampling_params": {"bogus": 1}}):
            with self.subTest(payload=payload):
                status, body = self._generate(payload)
                self.assertEqual(status, 400)
                self.assertTrue(body["error"])


if __name__ == "__main__":
    unittest.main()
