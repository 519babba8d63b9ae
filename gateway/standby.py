"""One active process, the others on standby: an exclusive lock on a file.

The playout worker runs twice under `altavoz serve`: the first to take the lock airs, the
second has already imported everything and waits on the lock. When the active one dies, even
by kill -9, the kernel releases its lock at once and the standby takes over within
milliseconds, instead of the second or two a fresh process needs to start; the supervisor then
starts a new standby. The lock is an `flock` on an open file description, which Python does
not let child processes (ffmpeg, espeak-ng) inherit, so only the holder's death frees it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path

POLL_S = 0.02
"""How often a standby tries the lock: the longest a takeover waits for it."""


def wait_to_be_active(
    path: Path, *, stopping: threading.Event, while_waiting: Callable[[], None]
) -> int | None:
    """Block until this process holds the lock at `path` and return its descriptor (keep it
    open for as long as the process is active), or None if asked to stop meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    while not stopping.is_set():
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            while_waiting()
            stopping.wait(POLL_S)
            continue
        return fd
    os.close(fd)
    return None
