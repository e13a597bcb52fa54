"""Run SGLang-JAX's bench_serving.py offline and save its result as strict JSON.

usage: run_bench_serving.py BENCH_SERVING_PY RESULT_JSON [bench_serving args...]

The stub modules in shims/ stand in for transformers, datasets and pybase64
(see shims/transformers). bench_serving's JSONL may hold Infinity and NaN;
the saved copy writes them as "inf" and null so strict parsers accept it.
Run it with Debian's /usr/bin/python3 (aiohttp, numpy, requests, tqdm, PIL).
"""
import json
import math
import os
import runpy
import sys
import tempfile


def sanitize(value):
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if math.isnan(value):
            return None
    if isinstance(value, dict):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    return value


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    script, result_path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "shims"))
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = os.path.join(tmp, "result.jsonl")
        sys.argv = [script] + args + ["--output-file", jsonl]
        runpy.run_path(script, run_name="__main__")
        with open(jsonl) as f:
            lines = [line for line in f if line.strip()]
    if not lines:
        sys.exit("bench_serving wrote no result")
    result = sanitize(json.loads(lines[-1]))
    with open(result_path, "w") as f:
        json.dump(result, f, indent=1, allow_nan=False)


if __name__ == "__main__":
    main()
