"""The title of what is on air, sent to Icecast as the stream's metadata.

libVLC's shout output announces the stream's name, description, genre and URL when it
connects, but never the title of what plays: neither the media's meta title nor anything else
reaches Icecast (checked against VLC 3.0 and Icecast 2.4: `title` stays absent from
`/status-json.xsl`). For MP3, Icecast takes the title from its admin metadata update,
`GET /admin/metadata?mount=...&mode=updinfo&song=...`, which the source credentials may call
for their own mount; Icecast then puts it in the ICY metadata listeners' players show.
(Icecast refuses that update for Ogg mounts, whose titles travel inside the stream.)

The update goes out from its own thread, so a slow or absent Icecast never holds up playout,
and it is retried for a while: the title is sent as an item starts, often before libVLC's
source connection is up, and Icecast answers "Source does not exist" until it is. A newer
title replaces one not yet delivered.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

logger = logging.getLogger(__name__)

RETRY_EVERY_S = 0.5
GIVE_UP_AFTER_S = 30.0
TITLE_MAX = 250
"""Icecast cuts ICY metadata longer than this; we cut first, at a character boundary."""


@dataclass(frozen=True)
class TitleTarget:
    """The mount whose title is set, and the source credentials that may set it."""

    base_url: str
    mount: str
    source_user: str
    source_password: str


def update_url(target: TitleTarget, title: str) -> str:
    query = urllib.parse.urlencode(
        {"mount": target.mount, "mode": "updinfo", "song": title[:TITLE_MAX], "charset": "UTF-8"}
    )
    return f"{target.base_url}/admin/metadata?{query}"


def send_title(target: TitleTarget, title: str, *, timeout_s: float = 1.0) -> str | None:
    """Set the title once; None when Icecast took it, otherwise why not."""
    credentials = f"{target.source_user}:{target.source_password}".encode()
    request = urllib.request.Request(
        update_url(target, title),
        headers={"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            answer = response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return f"Icecast answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"cannot reach Icecast: {exc}"
    if "<return>1</return>" not in answer:
        return "Icecast did not take it"
    return None


class TitleSender:
    """Delivers the latest title in the background; `close()` ends the thread."""

    def __init__(self, target: TitleTarget) -> None:
        self.target = target
        self._wake = threading.Condition()
        self._pending: str | None = None
        self._delivered: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="stream-title", daemon=True)
        self._thread.start()

    def send(self, title: str) -> None:
        with self._wake:
            if title == self._delivered and self._pending is None:
                return
            self._pending = title
            self._wake.notify()

    def forget(self) -> None:
        """The source reconnected: Icecast starts the new source without a title."""
        with self._wake:
            self._delivered = None

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _next(self, timeout_s: float | None) -> tuple[bool, str | None]:
        """Wait for a new title (or the retry time); (closed, title taken if any)."""
        with self._wake:
            if self._pending is None and not self._closed:
                self._wake.wait(timeout_s)
            title, self._pending = self._pending, None
            return self._closed, title

    def _run(self) -> None:
        title: str | None = None
        since = 0.0
        while True:
            closed, newer = self._next(None if title is None else RETRY_EVERY_S)
            if closed:
                return
            if newer is not None:
                title, since = newer, time.monotonic()
            if title is None:
                continue
            problem = send_title(self.target, title)
            if problem is None:
                with self._wake:
                    self._delivered = title
                title = None
            elif time.monotonic() - since > GIVE_UP_AFTER_S:
                logger.warning("stream title %r not set: %s", title, problem)
                title = None
