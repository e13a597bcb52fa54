"""Shared pieces of the e2e eval tests: thresholds and the metrics line tpuci can parse."""

import json

# Scores of the deterministic toy model on the bundled data are 0.427 (mmlu) and 0.600 (gsm8k).
MMLU_THRESHOLD = 0.40
GSM8K_THRESHOLD = 0.55


def report(test_name, metrics):
    """Print one JSON line with the metrics, prefixed so it is easy to grep from the test log."""
    print("TPUCI_METRICS " + json.dumps({"test": test_name, **metrics}), flush=True)
