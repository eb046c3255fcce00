"""A service process that `sortes run` or `sortes up` started, which ends when its supervisor ends.

``python -m shared.supervised <uvicorn arguments>`` runs uvicorn as ``uvicorn <arguments>`` would, and:

- asks Linux to send it SIGTERM the moment its parent dies, however the parent ends (SIGKILL, a
  closed terminal, a crash): ``prctl(PR_SET_PDEATHSIG)``. uvicorn then closes its ports at once and
  lets running requests finish for ``--timeout-graceful-shutdown`` seconds;
- watches its parent from a thread, which runs even while a long request holds the event loop: once
  the parent is gone it sends the same SIGTERM (the only notice where prctl does not exist, and the
  one that covers a parent dying before prctl was set) and, if the process is still alive
  :data:`GRACE_SECONDS` later, SIGKILL.

So no service outlives its supervisor by more than :data:`GRACE_SECONDS`, and none keeps its port.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

SUPERVISOR_PID_VARIABLE = "SORTES_SUPERVISOR_PID"
GRACE_SECONDS = 8.0  # uvicorn's graceful shutdown (5 s, as LocalSystem starts it) and a margin
_POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGTERM) -> bool:
    """Have the kernel send ``signum`` to this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(supervisor: int) -> None:
    while os.getppid() == supervisor:
        time.sleep(_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os.kill(os.getpid(), signal.SIGKILL)


def main(arguments: list[str]) -> None:
    supervisor = int(os.environ.get(SUPERVISOR_PID_VARIABLE) or os.getppid())
    die_with_parent()
    threading.Thread(target=_watch, args=(supervisor,), name="supervisor-watch", daemon=True).start()
    import uvicorn.main

    sys.argv = ["uvicorn", *arguments]
    uvicorn.main.main()


if __name__ == "__main__":
    main(sys.argv[1:])
