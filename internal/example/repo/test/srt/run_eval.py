"""Run one eval of the bundled data against a running server and print the metrics as JSON.

    python test/srt/run_eval.py --base-url http://127.0.0.1:PORT --eval-name mmlu
"""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import argparse  # noqa: E402
import json  # noqa: E402

from sgl_jax.test.simple_eval import EVALS, run_eval  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--eval-name", choices=sorted(EVALS), default="mmlu")
    parser.add_argument("--num-examples", type=int, default=None)
    parser.add_argument("--num-threads", type=int, default=8)
    args = parser.parse_args(argv)
    metrics = run_eval(args.base_url, args.eval_name, limit=args.num_examples, num_threads=args.num_threads)
    print(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
