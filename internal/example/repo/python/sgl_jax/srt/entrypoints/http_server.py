"""Minimal HTTP API over the toy model (standard library only).

GET  /health             -> 200 "ok"
GET  /health_generate    -> 200 after one real generation
GET  /get_model_info     -> {"model_path", "tp_size", "version"}
POST /generate           -> {"text": str | [str], "sampling_params": {...}}
"""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sgl_jax.srt.sampling.sampling_params import SamplingParams
from sgl_jax.version import __version__


class _Handler(BaseHTTPRequestHandler):
    server_version = "sgl-jax-example/" + __version__
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # keep test output quiet

    def _send(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # pylint: disable=invalid-name
        model = self.server.model
        if self.path == "/health":
            self._send(200, "ok")
        elif self.path.startswith("/health_generate"):
            model.generate("health", SamplingParams(max_new_tokens=1, temperature=0.0))
            self._send(200, "ok")
        elif self.path == "/get_model_info":
            self._send(200, {"model_path": model.model_path, "tp_size": model.tp_size, "version": __version__})
        else:
            self._send(404, {"error": f"no such endpoint: {self.path}"})

    def do_POST(self):  # pylint: disable=invalid-name
        if self.path != "/generate":
            self._send(404, {"error": f"no such endpoint: {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            params = SamplingParams.from_dict(request.get("sampling_params"))
            text = request.get("text")
            prompts = text if isinstance(text, list) else [text]
            if not prompts or not all(isinstance(p, str) for p in prompts):
                raise ValueError('"text" must be a string or a list of strings')
        except (ValueError, TypeError) as exc:
            self._send(400, {"error": str(exc)})
            return
        results = []
        for prompt in prompts:
            out = self.server.model.generate(prompt, params)
            results.append(
                {"text": out["text"], "meta_info": {"completion_tokens": out["completion_tokens"], "cache_miss_count": 0}}
            )
        self._send(200, results if isinstance(text, list) else results[0])


def _exit_when_orphaned(server, parent_pid):
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            server.shutdown()
            return


def serve(model, host="127.0.0.1", port=0, on_ready=None):
    """Serve until shutdown; calls on_ready(url) once the socket listens. Exits if orphaned."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    server.model = model
    threading.Thread(target=_exit_when_orphaned, args=(server, os.getppid()), daemon=True).start()
    try:
        if on_ready is not None:
            on_ready(f"http://{host}:{server.server_address[1]}")
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
