"""The panel's CSV import at a district's scale while the workers write, and files csv cannot
read: a clear refusal, never a 500, and nothing half-written."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from gateway import audit
from gateway.accounts import User
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.worker import WorkerHeartbeat
from sms.models import Subscriber
from tests.support import csrf_token

ROWS = 100_000


def _post(client: FlaskClient, body: bytes) -> tuple[int, str]:
    """Encoded in memory: the test client's own encoder spools a large body to a temporary
    file it never closes."""
    fields = {
        "csrf_token": csrf_token(client, "/subscribers/"),
        "file": FileStorage(io.BytesIO(body), filename="list.csv"),
    }
    stream, length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    page = client.post(
        "/subscribers/import",
        data=stream.read(length),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    return page.status_code, page.get_data(as_text=True)


def test_a_100000_row_import_succeeds_while_a_worker_writes_all_along(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    body = "phone,region,language,groups\n" + "".join(
        f"+5025{n:07d},Comunidad {n % 50},es,{'lideresas' if n % 10 == 0 else ''}\n"
        for n in range(ROWS)
    )
    stop = threading.Event()
    beats: list[float] = []
    failures: list[BaseException] = []

    with database.session() as session:
        now = utcnow()
        heartbeat = WorkerHeartbeat(kind="test", host="here", pid=1, started_at=now, beat_at=now)
        session.add(heartbeat)
        session.flush()
        beat_id = heartbeat.id

    def worker() -> None:
        """Like any `altavoz serve` worker: read, then write, a few times a second."""
        try:
            while not stop.is_set():
                with database.session() as session:
                    beat = session.get(WorkerHeartbeat, beat_id)
                    assert beat is not None
                    beat.beat_at = utcnow()
                    beat.items_done += 1
                beats.append(time.monotonic())
                stop.wait(0.005)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    started = time.monotonic()
    try:
        status, page = _post(client, body.encode())
    finally:
        stop.set()
        thread.join()
    elapsed = time.monotonic() - started
    assert failures == []
    assert status == 200, page[-2000:]
    assert len(beats) > 10 and any(started < at < started + elapsed for at in beats)
    assert elapsed < 20
    with database.session() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == ROWS
        [entry] = audit.recent(session, action="subscriber.import")
    assert entry.details["added"] == ROWS


def test_one_bad_row_among_many_writes_nothing(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    rows = [f"+5025{n:07d},San Marcos\n" for n in range(2000)]
    rows[1500] = "+50255551234,\n"
    status, page = _post(client, ("phone,region\n" + "".join(rows)).encode())
    assert status == 422
    assert "Línea 1502:" in page
    with database.session() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 0


def test_a_field_over_csvs_size_limit_is_refused_with_the_reason(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    client.get("/lang/en")
    body = "phone,region\n+50255551234,San Marcos\n+50255551235," + "x" * 140_000 + "\n"
    status, page = _post(client, body.encode())
    assert status == 400
    assert "Line 3: a field is longer than 131072 characters." in page
    with database.session() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 0
        [failed] = audit.recent(session, action="subscriber.import_failed")
    assert failed.details == {"problem": "field_too_long"}
