"""A child of `cylinder-trace serve` (a serving worker, the scheduled jobs' process) stops when
serve dies, even by SIGKILL, when no handler of serve's runs to stop it."""

from __future__ import annotations

import os
import signal
import sys

# serve's pid, handed to its serving workers (which uvicorn starts) through the environment
SERVE_PID = "CYLINDER_TRACE_SERVE_PID"


def follow(parent: int) -> bool:
    """Ask the kernel for SIGTERM when ``parent`` dies (Linux); False when this process's parent
    is no longer ``parent`` (it died before we asked: stop now)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    return os.getppid() == parent


def follow_serve() -> None:
    """In a serving worker of serve's: SIGTERM (uvicorn's graceful stop) when serve dies, or at
    once when it died while this worker was starting. (With one worker, serve runs the app
    itself: nothing to follow.)"""
    pid = os.environ.get(SERVE_PID, "")
    if pid.isdigit() and int(pid) != os.getpid() and not follow(int(pid)):
        os.kill(os.getpid(), signal.SIGTERM)
