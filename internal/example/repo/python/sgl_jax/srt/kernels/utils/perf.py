"""Timing helpers for the kernel benchmarks under benchmark/kernels/.

Every benchmark prints one JSON object per line on stdout:
    {"kernel": "<name>", "case": "<stable case key>", "time_ms": <float>}
A case is a zero-argument callable returning JAX arrays; every case is compiled and run once
before any is timed, and each timed run waits for its result (jax.block_until_ready). Under
tpuci the end of that warm-up is marked (tpuci_marks), so a compile while timing fails the
kernel by name; elsewhere the mark does nothing.
TPUCI_KERNEL_SLOWDOWN=<factor> multiplies each measured time (a factor above 1 really spins
for the extra time) so tests can simulate a slower kernel.
"""

import argparse
import json
import os
import sys
import time

import jax

try:  # on PYTHONPATH when tpuci runs the benchmark
    from tpuci_marks import mark
except ImportError:

    def mark(name, **kw):  # pylint: disable=unused-argument
        """Without tpuci there is no compile accounting to mark."""


def kernel_slowdown():
    """The TPUCI_KERNEL_SLOWDOWN factor (1.0 when unset)."""
    raw = os.environ.get("TPUCI_KERNEL_SLOWDOWN", "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"TPUCI_KERNEL_SLOWDOWN must be a positive number, got {raw!r}") from exc
    if not value > 0:
        raise ValueError(f"TPUCI_KERNEL_SLOWDOWN must be a positive number, got {raw!r}")
    return value


def warm_up(fn, warmup=1):
    """Runs fn `warmup` times, waiting for each result: these runs compile."""
    for _ in range(warmup):
        jax.block_until_ready(fn())


def time_kernel(fn, repeats=5, warmup=1, slowdown=1.0):
    """Best CPU time of fn() over `repeats` runs after `warmup` runs, in milliseconds.

    CPU time of this process (XLA's threads included), not wall-clock time, so other
    processes on a busy host barely move the figure (a TPU kernel would be timed on the
    device). Warm-up runs, which compile, are not timed.
    """
    warm_up(fn, warmup)
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.process_time()
        jax.block_until_ready(fn())
        elapsed = time.process_time() - start
        if slowdown > 1.0:
            target = start + elapsed * slowdown
            while time.process_time() < target:
                pass
            elapsed = time.process_time() - start
        else:
            elapsed *= slowdown
        best = min(best, elapsed)
    return best * 1000.0


def run_benchmark_cases(kernel, cases, argv=None):
    """Time every case ({case_key: zero-argument callable}) and print one JSON line each; return exit code."""
    parser = argparse.ArgumentParser(description=f"Benchmark the {kernel} Pallas kernel.")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case; the best is reported")
    parser.add_argument("--cases", default="", help="comma-separated case keys to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print the case keys and exit")
    args = parser.parse_args(argv)
    if args.list:
        for key in cases:
            print(key)
        return 0
    selected = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(selected) - set(cases))
    if unknown:
        print(f"bench {kernel}: unknown case(s) {', '.join(unknown)}; use --list", file=sys.stderr)
        return 2
    try:
        slowdown = kernel_slowdown()
    except ValueError as exc:
        print(f"bench {kernel}: {exc}", file=sys.stderr)
        return 2
    run = {key: fn for key, fn in cases.items() if not selected or key in selected}
    # One process times several cases: all of them compile before any is timed, so every
    # compile after the mark is a recompilation.
    for fn in run.values():
        warm_up(fn)
    mark("warmup_end")
    for key, fn in run.items():
        ms = time_kernel(fn, repeats=args.repeats, warmup=0, slowdown=slowdown)
        print(json.dumps({"kernel": kernel, "case": key, "time_ms": round(ms, 4)}), flush=True)
    return 0
