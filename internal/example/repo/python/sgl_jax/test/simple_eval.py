"""Small MMLU/GSM8K-style evaluator over the bundled eval_data, run against the HTTP server."""

import csv
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

from sgl_jax.test.server_utils import http_post

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_CHOICE = re.compile(r"Answer:\s*([ABCD])")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def eval_data_dir():
    return os.environ.get("TPUCI_EVAL_DATA_DIR") or os.path.join(REPO_ROOT, "eval_data")


def load_mmlu(path=None, limit=None):
    path = path or os.path.join(eval_data_dir(), "mmlu", "mmlu.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows[:limit] if limit else rows


def load_gsm8k(path=None, limit=None):
    path = path or os.path.join(eval_data_dir(), "gsm8k", "test.jsonl")
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return rows[:limit] if limit else rows


def mmlu_prompt(row):
    options = "\n".join(f"{letter}. {row[letter]}" for letter in "ABCD")
    return f"{row['Question']}\n{options}\nAnswer:"


def gsm8k_prompt(row):
    return f"Question: {row['question']}\nAnswer:"


def gsm8k_target(answer):
    """The number after '####' in a GSM8K reference answer."""
    return answer.rsplit("####", 1)[1].strip().replace(",", "")


def last_number(text):
    found = _NUMBER.findall(text)
    return found[-1].replace(",", "").rstrip(".") if found else None


def _score_mmlu(row, output):
    match = _CHOICE.search(output)
    return bool(match) and match.group(1) == row["Answer"]


def _score_gsm8k(row, output):
    got = last_number(output)
    return got is not None and float(got) == float(gsm8k_target(row["answer"]))


EVALS = {
    "mmlu": (load_mmlu, mmlu_prompt, _score_mmlu),
    "gsm8k": (load_gsm8k, gsm8k_prompt, _score_gsm8k),
}


def run_eval(base_url, eval_name, limit=None, num_threads=8, batch_size=16):
    """Return {"eval", "score", "correct", "num_examples"}; score is the fraction answered right."""
    if eval_name not in EVALS:
        raise ValueError(f"unknown eval {eval_name!r}; known: {', '.join(sorted(EVALS))}")
    load, prompt_of, score_of = EVALS[eval_name]
    rows = load(limit=limit)
    batches = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]

    def _run(batch):
        status, body = http_post(
            base_url + "/generate",
            {"text": [prompt_of(r) for r in batch], "sampling_params": {"temperature": 0.0, "max_new_tokens": 64}},
        )
        if status != 200:
            raise RuntimeError(f"/generate returned {status}: {body}")
        return [score_of(r, out["text"]) for r, out in zip(batch, body)]

    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        correct = sum(sum(result) for result in pool.map(_run, batches))
    return {
        "eval": eval_name,
        "score": correct / len(rows) if rows else 0.0,
        "correct": correct,
        "num_examples": len(rows),
    }
