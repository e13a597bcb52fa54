"""Start and stop the toy server from tests, and talk to it over HTTP on 127.0.0.1."""

import json
import os
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.request

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_TIMEOUT_FOR_SERVER_LAUNCH = 30


def _read_ready_line(proc, deadline):
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = proc.stdout.readline()
            if not line:
                return None
            if line.startswith("SERVER_READY "):
                return line.split(None, 1)[1].strip()
    finally:
        selector.close()
    return None


def popen_launch_server(tp_size=1, other_args=(), env=None, timeout=DEFAULT_TIMEOUT_FOR_SERVER_LAUNCH):
    """Launch `python -m sgl_jax.launch_server`; return (process, base_url) once /health answers.

    The server stays in the caller's process group, so whoever kills the test's group also kills
    the server; it also exits by itself when its parent dies.
    """
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (PYTHON_DIR, child_env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "sgl_jax.launch_server", "--port", "0", "--tp-size", str(tp_size), *other_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=child_env)  # pylint: disable=consider-using-with
    deadline = time.monotonic() + timeout
    url = _read_ready_line(proc, deadline)
    if url is None:
        kill_process_tree(proc)
        raise TimeoutError(f"server failed to start within {timeout}s (exit code {proc.returncode})")
    while time.monotonic() < deadline:
        try:
            if http_get(url + "/health")[0] == 200:
                return proc, url
        except OSError:
            pass
        time.sleep(0.05)
    kill_process_tree(proc)
    raise TimeoutError(f"server at {url} never became healthy within {timeout}s")


def kill_process_tree(proc):
    """Stop the server process (it has no children) and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    if proc.stdout:
        proc.stdout.close()


def http_get(url, timeout=10):
    """Return (status, decoded JSON body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def http_post(url, payload, timeout=10):
    """POST JSON and return (status, decoded JSON body)."""
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def available_chips():
    """Chip count tpuci gave this process, or None when run by hand without TPUCI_CHIPS/XLA_FLAGS."""
    from sgl_jax.srt.utils import visible_device_count  # pylint: disable=import-outside-toplevel

    return visible_device_count()
