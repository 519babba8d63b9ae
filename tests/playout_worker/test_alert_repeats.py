"""An alert's repeat waits in the database for its time: the playout worker airs it then, not
before, and a worker stopped and started again in between neither loses nor doubles it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from gateway.database import Database, utcnow
from gateway.settings import Settings
from playlists.models import CommandKind, PlayoutCommand
from tests.playout.conftest import Tones, wait_until
from tests.playout_worker.conftest import Running
from tests.playout_worker.records import add_playlist, add_recording, log

ALERT = 11
REPEAT_AFTER = timedelta(seconds=6)


def test_a_repeat_airs_at_its_time_once_across_a_worker_restart(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    bed = add_recording(settings, database, tones.tone(440, 10.0), "testimonio", duration=10.0)
    sting = add_recording(
        settings, database, tones.tone(1500, 1.0), "alerta", kind="alert", duration=1.0
    )
    add_playlist(database, "Relleno", [bed], fallback=True)
    first = run_worker()
    wait_until(lambda: any(e.status == "playing" for e in log(database)), timeout_s=20, what="air")
    now = utcnow()
    with database.session() as session:
        session.add_all(
            PlayoutCommand(
                kind=CommandKind.PREEMPT.value,
                payload={"alert_id": ALERT, "recording_id": sting, "repeats": 1, "airing": n},
                created_at=now,
                due_at=now + REPEAT_AFTER * (n - 1),
            )
            for n in (1, 2)
        )

    def aired() -> list[tuple[object, object]]:
        return [(e.started_at, e.status) for e in log(database) if e.alert_id == ALERT]

    wait_until(lambda: any(s == "played" for _a, s in aired()), timeout_s=20, what="airing 1")
    first.stop()
    run_worker()
    wait_until(lambda: len(aired()) >= 2, timeout_s=30, what="the repeat")
    wait_until(
        lambda: all(s == "played" for _a, s in aired()), timeout_s=20, what="the repeat aired"
    )
    starts = [at for at, _s in aired()]
    assert len(starts) == 2
    repeat_at = starts[1]
    assert isinstance(repeat_at, type(now))
    assert now + REPEAT_AFTER <= repeat_at <= now + REPEAT_AFTER + timedelta(seconds=2)
    with database.session() as session:
        results = session.scalars(
            select(PlayoutCommand.result).where(PlayoutCommand.kind == CommandKind.PREEMPT.value)
        ).all()
    assert results == ["aired", "aired"]
