# tpuci dependency recorder, loaded at interpreter start as sitecustomize.
# It writes the repository files of the modules this process loaded to
# $TPUCI_DEPMAP_DIR/<test>/<pid>.txt, every few seconds and at exit, so that
# servers killed by their tests still leave a record. Standard library only.
import os
import sys
import threading
import atexit

_OUT = os.environ.get("TPUCI_DEPMAP_DIR", "")
_ROOT = os.path.realpath(os.environ.get("TPUCI_DEPMAP_ROOT", "") or ".")
_TEST = os.environ.get("TPUCI_DEPMAP_TEST", "unknown").replace("%", "%25").replace("/", "%2F")


def _write():
    if not _OUT:
        return
    files = set()
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if not f:
            continue
        f = os.path.realpath(f)
        if f.startswith(_ROOT + os.sep) and f.endswith(".py"):
            files.add(os.path.relpath(f, _ROOT).replace(os.sep, "/"))
    d = os.path.join(_OUT, _TEST)
    try:
        os.makedirs(d, exist_ok=True)
        tmp = os.path.join(d, ".%d.tmp" % os.getpid())
        with open(tmp, "w") as fh:
            fh.write("\n".join(sorted(files)) + "\n")
        os.replace(tmp, os.path.join(d, "%d.txt" % os.getpid()))
    except OSError:
        pass


def _loop():
    import time

    while True:
        time.sleep(2)
        _write()


if _OUT:
    atexit.register(_write)
    threading.Thread(target=_loop, name="tpuci-depmap", daemon=True).start()

# Chain to the sitecustomize this one shadows, if any.
_here = os.path.dirname(os.path.realpath(__file__))
try:
    import importlib.machinery
    import importlib.util

    _spec = importlib.machinery.PathFinder.find_spec(
        "sitecustomize", [p for p in sys.path if os.path.realpath(p or ".") != _here]
    )
    if _spec is not None and _spec.loader is not None:
        _mod = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(_mod)
except Exception:
    pass
