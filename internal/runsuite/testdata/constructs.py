# Synthetic suite table written for tpuci's importer tests. It mimics the
# shape of a run_suite.py and exercises every construct the importer accepts.
import os
from dataclasses import dataclass

NOTE = """A docstring that mentions
suites = {"fake": []}
and must not be read as the table."""
PATTERN = r"raw \d+ string"
GREETING = f"hello {os.getcwd()!r}"


@dataclass
class TestFile:
    name: str
    estimated_time: float = 60


def helper(x):
    return {"not": [x]}  # a dict literal elsewhere is ignored


total = 1 + \
    2

suites: dict[str, list[TestFile]] = {
    # a comment before the first suite
    "unit-test-tpu-v6e-1": [
        TestFile("tests/a_test.py", 5),
        TestFile("tests/b_test.py", 0.25, runner="pytest"),  # trailing comment
        TestFile(name="tests/c_test.py", estimated_time=3, runner="pytest"),
        TestFile("tests/" "implicit_concat.py", 1_0),
        TestFile(("tests/paren" "_concat.py"), .5),
        TestFile("tests/plus" + "_concat.py", 1e1),
        TestFile("tests/defaults.py"),
        TestFile(
            "tests/methods.py",
            2.,
            ["TestEval.test_mmlu", "TestEval." "test_gsm8k"],
        ),
        TestFile("tests/kw_methods.py", test_methods=["A.b"], runner="pytest"),
        TestFile("tests/none_methods.py", 4, None, "pytest", None),
        TestFile("tests/empty_methods.py", 4, [], extra_deps=[]),
        TestFile('tests/single_quoted.py', +7),
        TestFile("tests/esc\x61ped\u00e9.py", 0),
        TestFile(r"tests/raw\name.py", 1),
    ],
    "unit-test-cpu": [],
    "e2e-test-tpu-v6e-4": [
        TestFile("tests/e1.py", 1),
    ]
    + [TestFile("tests/e2.py", 2)]
    + ([TestFile("tests/e3.py", 3),]),
    'kernel-performance-test-tpu-v6e-1': [TestFile("bench/k.py", 2)],
    "nightly-infra-smoke-tpu-v6e-1": [
        TestFile("smoke.py", 15),
    ],
    "sglang_dependency_test": [],  # trailing comma after the last suite
}


def auto_partition(files, rank, size):
    return files


if __name__ == "__main__":
    files = suites["unit-test-cpu"]
    print('done: %s' % "x", {'a': 1})
