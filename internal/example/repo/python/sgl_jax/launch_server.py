"""python -m sgl_jax.launch_server: start the toy model server.

Prints one line "SERVER_READY <url>" on stdout once it accepts connections.
"""

import argparse
import signal
import sys

from sgl_jax.srt.entrypoints.http_server import serve
from sgl_jax.srt.models import ToyModel
from sgl_jax.srt.utils import visible_device_count


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="sgl_jax.launch_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--tp-size", type=int, default=1)
    parser.add_argument("--model-path", default="toy")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        devices = visible_device_count()
        model = ToyModel(tp_size=args.tp_size, model_path=args.model_path)
    except ValueError as exc:
        print(f"launch_server: {exc}", file=sys.stderr)
        return 2
    available = 1 if devices is None else max(devices, 1)
    if args.tp_size < 1 or args.tp_size > available:
        print(
            f"launch_server: --tp-size {args.tp_size} needs {args.tp_size} chips but this process has "
            f"{available}; set TPUCI_CHIPS or XLA_FLAGS=--xla_force_host_platform_device_count=N",
            file=sys.stderr,
        )
        return 2

    def _stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _stop)

    def _ready(url):
        print(f"SERVER_READY {url}", flush=True)

    try:
        serve(model, args.host, args.port, on_ready=_ready)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
