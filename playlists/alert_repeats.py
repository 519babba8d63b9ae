"""Which playout commands are due: an alert's repeats wait in the database until their time.

The playout worker claims only commands whose `due_at` has come. When it comes back after
being down past several of one alert's repeats, only the latest of them airs: the others are
closed as missed, so the station does not read the same alert three times in a row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from playlists.models import CommandKind, PlayoutCommand

MISSED = "missed: a later repeat was due"


def due(now: datetime) -> ColumnElement[bool]:
    """The condition a command must meet to be taken now."""
    return or_(PlayoutCommand.due_at.is_(None), PlayoutCommand.due_at <= now)


def retire_overtaken(session: Session, *, now: datetime) -> int:
    """Close every due, untaken airing of an alert that a later due airing of it overtook;
    returns how many were closed."""
    rows = session.execute(
        select(PlayoutCommand.id, PlayoutCommand.payload, PlayoutCommand.due_at).where(
            PlayoutCommand.kind == CommandKind.PREEMPT.value,
            PlayoutCommand.taken_at.is_(None),
            PlayoutCommand.due_at.is_not(None),
            PlayoutCommand.due_at <= now,
        )
    ).all()
    latest: dict[object, tuple[datetime, int]] = {}
    overtaken: list[int] = []
    for command_id, payload, due_at in sorted(rows, key=lambda row: (row[2], row[0])):
        alert = (payload or {}).get("alert_id")
        if alert is None:
            continue
        if alert in latest:
            overtaken.append(latest[alert][1])
        latest[alert] = (due_at, command_id)
    if overtaken:
        session.execute(
            update(PlayoutCommand)
            .where(PlayoutCommand.id.in_(overtaken), PlayoutCommand.taken_at.is_(None))
            .values(taken_at=now, done_at=now, result=MISSED)
            .execution_options(synchronize_session=False)
        )
    return len(overtaken)
