"""Request bodies over `media.max_upload_mb` are refused before they are read, whoever sends
them (signed in or not), with the app's own 413 answer: JSON under /api, a page in the panel.

Flask alone cannot do this: waitress reads a whole body (to memory, then to a temporary file)
before it calls the application, so a refusal from a view or from Flask's form parser comes
after the upload has cost its bandwidth and disk. Waitress is therefore told the same limit; a
request whose declared length is over it, or whose chunked body grows over it, is not read
further, and waitress hands it to the application with an empty body and a mark in the WSGI
environ, so the answer is the same 413 the application gives when it sees the length itself
(under the test client, or behind another server).
"""

from __future__ import annotations

import socket
import time
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import RequestEntityTooLarge as WaitressTooLarge
from werkzeug.exceptions import RequestEntityTooLarge

LINGER_S = 2.0
"""How long the rest of a refused body is read and dropped before the connection closes."""

REFUSED = "altavoz.body_refused"
"""WSGI environ key: waitress stopped reading this request's body at the limit."""


def init_app(app: Flask) -> None:
    """Register the check; call before anything that reads the body (CSRF reads forms)."""

    @app.before_request
    def _refuse_large_bodies() -> None:
        limit = int(app.config["MAX_CONTENT_LENGTH"])
        if request.environ.get(REFUSED) or (request.content_length or 0) > limit:
            raise RequestEntityTooLarge(
                _(
                    "The request is larger than the %(mb)d MB accepted.",
                    mb=limit // (1024 * 1024),
                )
            )


class _RefusedBodyTask(WSGITask):
    """The application's answer to a request whose body was refused unread."""

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[REFUSED] = True
        return environ

    def execute(self) -> None:
        self.set_close_on_finish()  # the rest of the body is still on its way
        self.channel.refused_body = True
        super().execute()


def _error_task(channel: HTTPChannel, parsed: Any) -> ErrorTask | WSGITask:
    if isinstance(parsed.error, WaitressTooLarge):
        return _RefusedBodyTask(channel, parsed)
    return ErrorTask(channel, parsed)


class _Channel(HTTPChannel):
    """Closes a connection whose body it refused the way HTTP servers do ("lingering close",
    as in nginx): the answer is sent and the sending side shut, then what the client still
    sends is dropped for a moment. Closing at once with unread data makes the kernel reset the
    connection, and the client may lose the 413 before reading it."""

    error_task_class = staticmethod(_error_task)
    refused_body = False
    linger_until = 0.0

    def _close_now(self) -> None:
        self.linger_until = 0.0
        HTTPChannel.handle_close(self)

    def handle_close(self) -> None:
        if not self.refused_body or self.linger_until or not self.connected:
            self._close_now()
            return
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError:
            self._close_now()
            return
        self.will_close = self.close_when_flushed = False
        self.linger_until = time.monotonic() + LINGER_S

    def readable(self) -> bool:
        return bool(self.linger_until) or bool(super().readable())

    def writable(self) -> bool:
        if self.linger_until:
            return bool(self.will_close)  # set by waitress's idle-channel maintenance
        return bool(super().writable())

    def handle_write(self) -> None:
        if self.linger_until:
            self._close_now()
            return
        super().handle_write()

    def handle_read(self) -> None:
        if not self.linger_until:
            super().handle_read()
            return
        try:
            data = self.socket.recv(65536)
        except OSError:
            data = b""
        if not data or time.monotonic() > self.linger_until:
            self._close_now()


def create_web_server(app: Flask, *, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server for `app` that refuses bodies over the app's MAX_CONTENT_LENGTH."""
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=int(app.config["MAX_CONTENT_LENGTH"]) + 1,
    )
    listeners = server.map.values() if isinstance(server, MultiSocketServer) else [server]
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _Channel
    return server
