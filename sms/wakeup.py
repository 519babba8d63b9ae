"""A self-pipe that lets other threads interrupt a select() loop at once."""

from __future__ import annotations

import logging
import os
import select

logger = logging.getLogger(__name__)


class Wakeup:
    """Write end for other threads, read end for the loop's select(); both non-blocking.

    Closing is the owner's job and must not race with `wake()`: a closed descriptor number
    may be reused by the process for something else.
    """

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)
        self._pending = False

    def wake(self) -> None:
        """Make the loop's next (or current) select() return. A wake-up already written and
        not yet drained is enough: each write hands the interpreter lock over, and a worker
        that answers receipts and queues submits in one turn would otherwise write twice."""
        if self._pending:
            return
        self._pending = True
        try:
            os.write(self.write_fd, b"\0")
        except BlockingIOError:
            logger.debug("wake-up pipe full: the loop is already due to wake")

    def drain(self) -> None:
        """Empty the pipe so the next select() blocks until the next wake().

        The loop looks at its queues after this returns, so a wake() skipped while the pipe
        was being read (still marked pending) loses nothing: what it announced is seen then."""
        try:
            while os.read(self.read_fd, 4096):
                pass
        except BlockingIOError:
            pass
        self._pending = False

    def wait(self, timeout: float) -> None:
        """Sleep up to `timeout` seconds, or less if woken."""
        select.select([self.read_fd], [], [], timeout)
        self.drain()

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)
