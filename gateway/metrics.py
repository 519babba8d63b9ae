"""Prometheus metrics, read from the database at scrape time.

Workers are separate processes (possibly on other hosts), so in-process counters would each see
only a slice; the database is where their work is recorded, so `/metrics` asks it directly.
Packages add their own families by registering a function with `register_source`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.accounts import User
from gateway.database import Database, utcnow
from gateway.worker import WorkerHeartbeat

MetricSource = Callable[[Session], Iterable[Metric]]
_sources: list[MetricSource] = []


def register_source(source: MetricSource) -> MetricSource:
    _sources.append(source)
    return source


@register_source
def _core_metrics(session: Session) -> Iterator[Metric]:
    users = GaugeMetricFamily("altavoz_users", "Active accounts by role", labels=["role"])
    rows = session.execute(
        select(User.role, func.count(User.id)).where(User.active).group_by(User.role)
    )
    for role, count in rows:
        users.add_metric([role], count)
    yield users

    cutoff = utcnow() - timedelta(seconds=30)
    up = GaugeMetricFamily(
        "altavoz_worker_up", "Worker processes with a recent heartbeat", labels=["kind"]
    )
    done = CounterMetricFamily(
        "altavoz_worker_items", "Items finished by live workers", labels=["kind", "result"]
    )
    # One sample per kind, summed over its live processes: Prometheus refuses a scrape that
    # repeats a label set, and two transcription workers are the normal case.
    alive: dict[str, int] = {}
    items: dict[tuple[str, str], int] = {}
    for beat in session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.state != "stopped")):
        if beat.beat_at >= cutoff:
            alive[beat.kind] = alive.get(beat.kind, 0) + 1
            for result, count in (("done", beat.items_done), ("failed", beat.items_failed)):
                items[beat.kind, result] = items.get((beat.kind, result), 0) + count
    for kind, count in sorted(alive.items()):
        up.add_metric([kind], count)
    for (kind, result), count in sorted(items.items()):
        done.add_metric([kind, result], count)
    yield up
    yield done


@register_source
def _delivery_metrics(session: Session) -> Iterator[Metric]:
    """SMS by state, the SMPP binds, skipped items on air and the transcription backlog: the
    failures an operator must see before a village or a caller does."""
    from audio.models import VoiceMessage
    from playlists.models import AsRunEntry, AsRunStatus
    from sms.models import LinkStatus, OutboundSegment

    segments = GaugeMetricFamily(
        "altavoz_sms_segments", "Outbound SMS segments by state", labels=["state"]
    )
    for state, count in session.execute(
        select(OutboundSegment.state, func.count()).group_by(OutboundSegment.state)
    ):
        segments.add_metric([state], count)
    yield segments
    bound = GaugeMetricFamily(
        "altavoz_smpp_bound", "1 when an SMS worker's SMPP link is bound", labels=["worker"]
    )
    for link in session.scalars(select(LinkStatus)):
        bound.add_metric([link.worker], 1 if link.state == "bound" else 0)
    yield bound
    skipped = CounterMetricFamily(
        "altavoz_playout_skipped", "Items the playout worker could not play"
    )
    skipped.add_metric(
        [],
        session.scalar(
            select(func.count(AsRunEntry.id)).where(AsRunEntry.status == AsRunStatus.SKIPPED)
        )
        or 0,
    )
    yield skipped
    voice = GaugeMetricFamily(
        "altavoz_voice_messages", "Voice messages by transcription status", labels=["status"]
    )
    for status, count in session.execute(
        select(VoiceMessage.status, func.count()).group_by(VoiceMessage.status)
    ):
        voice.add_metric([status], count)
    yield voice


STREAM_HEARD_STALE = timedelta(seconds=30)
"""A heard state older than this says nothing about the stream: the monitor is not running."""


@dataclass(frozen=True)
class StreamHeardNow:
    """The stream as the air monitor last heard it, with the silence counted up to now."""

    state: str
    up: bool
    silence_s: float
    listeners: int | None


def stream_heard(session: Session, *, now: datetime) -> StreamHeardNow | None:
    """None when no monitor has reported within STREAM_HEARD_STALE."""
    from playlists.models import StreamHeard

    row = session.get(StreamHeard, 1)
    if row is None or row.updated_at < now - STREAM_HEARD_STALE:
        return None
    silence = (now - row.dead_since).total_seconds() if row.dead_since else 0.0
    return StreamHeardNow(
        state=row.state, up=row.state == "ok", silence_s=max(silence, 0.0), listeners=row.listeners
    )


@register_source
def _stream_metrics(session: Session) -> Iterator[Metric]:
    """The stream as heard by the air monitor; absent while no monitor reports, so that
    `absent(altavoz_stream_up)` catches a monitor that is down."""
    heard = stream_heard(session, now=utcnow())
    if heard is None:
        return
    up = GaugeMetricFamily("altavoz_stream_up", "1 when the air monitor hears sound on the stream")
    up.add_metric([], 1 if heard.up else 0)
    yield up
    silence = GaugeMetricFamily(
        "altavoz_stream_silence_seconds",
        "Seconds the stream has been silent or unreachable, as the air monitor hears it",
    )
    silence.add_metric([], round(heard.silence_s, 1))
    yield silence
    if heard.listeners is not None:
        listeners = GaugeMetricFamily(
            "altavoz_stream_listeners", "Listeners on the mount, from Icecast's status page"
        )
        listeners.add_metric([], heard.listeners)
        yield listeners


class DatabaseCollector(Collector):
    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        with self.database.session(write=False) as session:
            for source in _sources:
                yield from source(session)


def registry_for(database: Database) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(database))
    return registry
