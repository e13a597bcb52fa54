# tpuci marks: a benchmark or server tpuci drives writes warmup_end,
# measure_start or measure_end here, so compiles after warm-up can be told
# from the ones before. Without TPUCI_COMPILE_DIR it does nothing; it never
# raises. Standard library only.
import json
import os
import threading
import time


def mark(name, **kw):
    """Appends a mark line to this process's event file."""
    d = os.environ.get("TPUCI_COMPILE_DIR", "")
    if not d:
        return
    try:
        rec = dict(kw)
        rec.update(v=1, kind="mark", mark=str(name), ts=time.time(), case=os.environ.get("TPUCI_CASE", ""),
                   pid=os.getpid(), ppid=os.getppid(), tid=threading.get_ident())
        os.makedirs(d, exist_ok=True)
        fd = os.open(os.path.join(d, "%d.jsonl" % os.getpid()), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (json.dumps(rec, default=str) + "\n").encode())
        finally:
            os.close(fd)
    except Exception:
        pass
