"""Bodies over media.max_upload_mb are refused before they are read, unauthenticated ones
too, by a real waitress server: 413 with JSON under /api and a page in the panel."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway.database import Database
from gateway.factory import create_app
from gateway.web.body_limit import create_web_server
from tests.conftest import station_settings
from tests.loopback import accepts, free_port, wait_until

LIMIT = 1024 * 1024


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    settings = station_settings(tmp_path, media={"max_upload_mb": 1})
    app = create_app(settings, database=Database(settings.database.url))
    port = free_port()
    server = create_web_server(app, host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: accepts(port), timeout_s=10, what="waitress")
    yield port
    server.close()
    thread.join(timeout=5)


def answer(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    connection.settimeout(5)
    while chunk := connection.recv(65536):
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _s, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_a_declared_oversized_upload_without_a_token_is_refused_from_its_headers(
    served: int,
) -> None:
    with socket.create_connection(("127.0.0.1", served)) as connection:
        started = time.monotonic()
        head = (
            b"POST /api/v1/recordings HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 10737418240\r\n\r\n"
        )
        connection.sendall(head + b"\0" * 65536)  # and no more: the rest never comes
        status, headers, body = answer(connection)
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "too_large" and "1 MB" in error["message"]
    assert time.monotonic() - started < 5


def test_a_chunked_upload_is_cut_off_at_the_limit(served: int) -> None:
    chunk = b"10000\r\n" + b"\0" * 0x10000 + b"\r\n"
    with socket.create_connection(("127.0.0.1", served)) as connection:
        head = (
            b"POST /api/v1/voice-messages HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer not-a-token\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        # 1.5 MB of a body that never ends: only a server that stops at the limit answers.
        connection.sendall(head + chunk * 24)
        status, _headers, body = answer(connection)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "too_large"


def test_the_panel_answers_an_oversized_form_with_a_page(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as connection:
        connection.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nCookie: altavoz_lang=es\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 5000000\r\n\r\nusername=a"
        )
        status, headers, body = answer(connection)
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert "La petición supera los 1 MB que se aceptan." in body.decode()


def test_the_app_itself_refuses_before_authentication(client: FlaskClient) -> None:
    limit = int(client.application.config["MAX_CONTENT_LENGTH"])
    response = client.post(
        "/api/v1/recordings",
        data=b"\0" * (limit + 1),
        content_type="multipart/form-data; boundary=b",
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"  # type: ignore[index]
