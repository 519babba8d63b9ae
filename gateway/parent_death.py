"""Children that stop when the process that started them dies, even by SIGKILL.

`altavoz serve` stops its children itself on SIGTERM, but an out-of-memory kill or a
`kill -9` gives it no chance: the web server would keep its port and the workers would keep
sending SMS and playing out with nobody supervising them, and the next `make run` would find
the port taken. Linux can deliver a signal to a child when its parent dies
(prctl PR_SET_PDEATHSIG); the child then gets the same warm stop as on a normal shutdown.

The kernel clears that request when the child changes its user (Icecast dropping root), so
`playlists.icecast` also reclaims a stale server from its pid file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    function: Callable[..., int] = libc.prctl
    return function


def stop_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen that asks for `signum` when this process dies.

    None where the platform cannot do it, so callers pass it on unchanged.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signum)

    return arm
