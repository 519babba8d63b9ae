"""The as-run log: what really went out, when, and why — the station's broadcast record."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.csv_export import csv_text
from playlists.models import AirReason, AsRunDetail, AsRunEntry, AsRunStatus

CSV_COLUMNS = (
    "started_at",
    "ended_at",
    "duration_s",
    "title",
    "recording_id",
    "reason",
    "status",
    "detail",
)


def start(
    session: Session,
    *,
    title: str,
    recording_id: int | None,
    reason: AirReason,
    at: datetime,
    slot_id: int | None = None,
    alert_id: int | None = None,
    offset_s: float = 0.0,
    source_key: str | None = None,
    detail: str = "",
) -> AsRunEntry:
    """Open the log line of an item that just started; anything still open is closed first."""
    for open_entry in session.scalars(select(AsRunEntry).where(AsRunEntry.ended_at.is_(None))):
        open_entry.ended_at = at
        open_entry.status = AsRunStatus.CUT.value
    entry = AsRunEntry(
        title=title[:200],
        recording_id=recording_id,
        reason=reason.value,
        slot_id=slot_id,
        alert_id=alert_id,
        started_at=at,
        heard_until=at,
        status=AsRunStatus.PLAYING.value,
        offset_s=offset_s,
        source_key=source_key,
        detail=detail[:1000],
    )
    session.add(entry)
    session.flush()
    return entry


def finish(
    session: Session, entry_id: int, *, at: datetime, status: AsRunStatus, detail: str = ""
) -> None:
    entry = session.get(AsRunEntry, entry_id)
    if entry is not None and entry.ended_at is None:
        entry.ended_at = at
        entry.status = status.value
        entry.detail = "; ".join(part for part in (entry.detail, detail[:1000]) if part)


def still_on_air(session: Session, entry_id: int, *, at: datetime) -> None:
    """Note that the item is still heard: if the worker dies, its line ends about here."""
    session.execute(
        update(AsRunEntry)
        .where(AsRunEntry.id == entry_id, AsRunEntry.ended_at.is_(None))
        .values(heard_until=at)
    )


def close_after_crash(session: Session) -> AsRunEntry | None:
    """Close what a worker that died left open, at the last moment it was seen on air, and
    return the last of those lines (the item to go on with)."""
    left_open = list(
        session.scalars(
            select(AsRunEntry).where(AsRunEntry.ended_at.is_(None)).order_by(AsRunEntry.id)
        )
    )
    for entry in left_open:
        entry.ended_at = entry.heard_until or entry.started_at
        entry.status = AsRunStatus.INTERRUPTED.value
        entry.detail = "; ".join(p for p in (entry.detail, AsRunDetail.WORKER_STOPPED) if p)
    return left_open[-1] if left_open else None


def outage(session: Session, *, since: datetime, until: datetime, detail: str) -> None:
    """A line for the time nothing went out, so the log has no silent hole."""
    session.add(
        AsRunEntry(
            title="",
            recording_id=None,
            reason=AirReason.OUTAGE.value,
            started_at=since,
            ended_at=until,
            status=AsRunStatus.OFF_AIR.value,
            detail=detail[:1000],
        )
    )


def skipped(
    session: Session,
    *,
    title: str,
    recording_id: int | None,
    reason: AirReason,
    at: datetime,
    detail: str,
) -> None:
    """A line for an item that could not be played: the log shows gaps in the plan, too."""
    session.add(
        AsRunEntry(
            title=title[:200],
            recording_id=recording_id,
            reason=reason.value,
            started_at=at,
            ended_at=at,
            status=AsRunStatus.SKIPPED.value,
            detail=detail[:1000],
        )
    )


def skipped_since(session: Session, since: datetime, *, limit: int = 20) -> list[AsRunEntry]:
    """Items that could not be played lately (missing or broken files): an operator's to-do."""
    return list(
        session.scalars(
            select(AsRunEntry)
            .where(AsRunEntry.status == AsRunStatus.SKIPPED.value, AsRunEntry.started_at >= since)
            .order_by(AsRunEntry.started_at.desc())
            .limit(limit)
        )
    )


def now_playing(session: Session) -> AsRunEntry | None:
    return session.scalar(
        select(AsRunEntry)
        .where(AsRunEntry.ended_at.is_(None))
        .order_by(AsRunEntry.started_at.desc())
        .limit(1)
    )


def entries(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[AsRunEntry]:
    query = select(AsRunEntry).order_by(AsRunEntry.started_at.desc(), AsRunEntry.id.desc())
    if since is not None:
        query = query.where(AsRunEntry.started_at >= since)
    if until is not None:
        query = query.where(AsRunEntry.started_at < until)
    return list(session.scalars(query.limit(limit)))


def to_csv(rows: list[AsRunEntry], *, zone: tzinfo) -> str:
    """The log as CSV in the station's local time, oldest first, as regulators read it."""
    lines = []
    for entry in sorted(rows, key=lambda e: (e.started_at, e.id)):
        ended = entry.ended_at.astimezone(zone).isoformat() if entry.ended_at else ""
        duration = (
            f"{(entry.ended_at - entry.started_at).total_seconds():.1f}" if entry.ended_at else ""
        )
        lines.append(
            [
                entry.started_at.astimezone(zone).isoformat(),
                ended,
                duration,
                entry.title,
                entry.recording_id or "",
                entry.reason,
                entry.status,
                entry.detail,
            ]
        )
    return csv_text(CSV_COLUMNS, lines)


def dead_air(session: Session, *, since: datetime, until: datetime, detail: str) -> AsRunEntry:
    """A line for an incident of dead air heard by the monitor, written when the staff are
    told and extended (`dead_air_goes_on`) until sound is back; it is never "open", so it
    neither counts as what is on air nor is closed by the next item."""
    entry = AsRunEntry(
        title="",
        recording_id=None,
        reason=AirReason.MONITOR.value,
        started_at=since,
        ended_at=until,
        status=AsRunStatus.DEAD_AIR.value,
        detail=detail[:1000],
    )
    session.add(entry)
    session.flush()
    return entry


def dead_air_goes_on(
    session: Session, entry_id: int, *, until: datetime, detail: str | None = None
) -> None:
    entry = session.get(AsRunEntry, entry_id)
    if entry is not None and entry.status == AsRunStatus.DEAD_AIR.value:
        entry.ended_at = until
        if detail is not None:
            entry.detail = detail[:1000]
