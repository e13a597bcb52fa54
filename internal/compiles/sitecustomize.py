# tpuci compile accounting, loaded at interpreter start as sitecustomize.
# It records JAX's own compile events (jax.monitoring) and the function and
# shapes of each compile (the pxla "Compiling" log record) as JSON lines in
# $TPUCI_COMPILE_DIR/<pid>.jsonl, one os.write per event, so that a process
# killed by SIGKILL still leaves every event it saw. It never imports jax:
# the listeners are registered when JAX itself imports jax._src.monitoring.
# Every listener swallows its own errors: accounting must not change what
# runs. Standard library only.
import os
import sys

_DIR = os.environ.get("TPUCI_COMPILE_DIR", "")
_CASE = os.environ.get("TPUCI_CASE", "")
# Tests only: make every listener body raise, to prove the guard holds.
_RAISE = os.environ.get("TPUCI_COMPILE_TEST_RAISE", "") == "1"

_COMPILE = "/jax/core/compile/backend_compile_duration"
_SPANS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    _COMPILE: "compile",
}
_CACHE = {
    "/jax/compilation_cache/compile_requests_use_cache": "use",
    "/jax/compilation_cache/cache_hits": "hit",
    "/jax/compilation_cache/cache_misses": "written",
}
_LOGGER = "jax._src.interpreters.pxla"

_state = {"fd": None, "pid": None}


def _emit(rec):
    """Appends one event line to this process's file (reopened after fork)."""
    import json
    import threading
    import time

    pid = os.getpid()
    if _state["pid"] != pid:
        os.makedirs(_DIR, exist_ok=True)
        _state["fd"] = os.open(os.path.join(_DIR, "%d.jsonl" % pid),
                               os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        _state["pid"] = pid
    rec.setdefault("ts", time.time())
    rec.update(v=1, case=_CASE, pid=pid, ppid=os.getppid(), tid=threading.get_ident())
    os.write(_state["fd"], (json.dumps(rec, default=str) + "\n").encode())


def _guard(fn):
    def wrapped(*args, **kwargs):
        try:
            if _RAISE:
                raise RuntimeError("tpuci compile hook: forced failure (test knob)")
            fn(*args, **kwargs)
        except Exception:
            pass
        return None
    return wrapped


def _cache_on():
    """Whether this process has a persistent cache: a directory in the
    environment, or one JAX initialized (set in code, as SGLang-JAX does).
    Reads a module global only: never calls JAX."""
    if os.environ.get("JAX_COMPILATION_CACHE_DIR", ""):
        return True
    cc = sys.modules.get("jax._src.compilation_cache")
    return cc is not None and getattr(cc, "_cache", None) is not None


def _install(monitoring):
    """Registers the listeners on the freshly imported jax._src.monitoring
    and starts catching the pxla "Compiling" record."""
    import logging
    import threading

    local = threading.local()

    def on_event(event, **kw):
        what = _CACHE.get(event)
        if what is not None:
            seen = getattr(local, "cache", None)
            if seen is None:
                seen = local.cache = set()
            seen.add(what)

    def on_span(event, start, end, **kw):
        kind = _SPANS.get(event)
        if kind is None:
            return
        fn = str(kw.get("fun_name", ""))
        rec = {"kind": kind, "fn": fn, "start": start, "end": end, "dur": end - start}
        if kind == "compile":
            seen = getattr(local, "cache", None) or set()
            local.cache = set()
            if not _cache_on():
                # JAX asks its persistent cache even without a directory
                # (enable_compilation_cache defaults on): no miss without one.
                rec["cache"] = "off"
            elif "hit" in seen:
                rec["cache"] = "hit"
            elif "written" in seen:
                rec["cache"] = "miss_written"
            elif "use" in seen:
                rec["cache"] = "miss_unwritten"
            else:
                rec["cache"] = "off"
            shapes = getattr(local, "shapes", None) or {}
            if fn in shapes:
                rec["shapes"] = shapes.pop(fn)
            elif len(shapes) == 1:
                rec["shapes"] = shapes.popitem()[1]
        _emit(rec)

    logger = logging.getLogger(_LOGGER)
    # The record is built only when DEBUG is enabled; the filter keeps what
    # we enabled from reaching any handler that would not have seen it.
    quiet = logger.level == logging.NOTSET and _LOGGER not in os.environ.get("JAX_DEBUG_LOG_MODULES", "")

    def on_record(record):
        try:
            args = record.args
            if not _RAISE and isinstance(args, tuple) and len(args) >= 2 and str(record.msg).startswith("Compiling "):
                shapes = getattr(local, "shapes", None)
                if shapes is None:
                    shapes = local.shapes = {}
                shapes[str(args[0])] = str(args[1])
        except Exception:
            pass
        if quiet and logger.level == logging.DEBUG:
            parent = logger.parent.getEffectiveLevel() if logger.parent else logging.WARNING
            return record.levelno >= parent
        return True

    if quiet:
        logger.setLevel(logging.DEBUG)
    logger.addFilter(on_record)
    monitoring.register_event_listener(_guard(on_event))
    monitoring.register_event_time_span_listener(_guard(on_span))


class _Loader:
    """Runs the real loader, then installs the listeners."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def create_module(self, spec):
        return self._real.create_module(spec)

    def exec_module(self, module):
        self._real.exec_module(module)
        try:
            _install(module)
        except Exception:
            pass


class _Finder:
    """Waits for jax._src.monitoring to be imported, however late."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "jax._src.monitoring":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        try:
            import importlib.util

            spec = importlib.util.find_spec(fullname)
            if spec is None or spec.loader is None:
                return None
            spec.loader = _Loader(spec.loader)
            return spec
        except Exception:
            return None


def _chain():
    """Runs the sitecustomize this one shadows: the next one on sys.path
    after this file's directory."""
    here = os.path.dirname(os.path.realpath(__file__))
    real = [os.path.realpath(p or ".") for p in sys.path]
    rest = sys.path[real.index(here) + 1:] if here in real else sys.path
    import importlib.machinery
    import importlib.util

    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)


# A chained hook that chains back here must not install twice or loop.
if not getattr(sys, "_tpuci_compile_hook", False):
    sys._tpuci_compile_hook = True
    if _DIR:
        try:
            sys.meta_path.insert(0, _Finder())
        except Exception:
            pass
    try:
        _chain()
    except Exception:
        pass
