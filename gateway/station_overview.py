"""The station at a glance: everything the dashboard shows, gathered in one read.

The dashboard is the page an operator keeps open, so each part of it is read from where the
rest of the product keeps that truth — the as-run log and the planner for the air, the air
monitor for the stream as heard, the outbox for alert delivery, the SMS worker's link state,
the heartbeats for the workers — never worked out a second time. What a role may not see
(voice messages awaiting moderation, alerts) is left out here, by the same rules as the pages
those parts link to (gateway.visibility, gateway.roles).

"Needs a person" lists the faults nobody else will fix, each as a code with a count: the
template words it and links to the page where it is put right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from audio import moderation
from audio.models import Moderation, TranscriptionStatus, VoiceMessage
from audio.storage import MediaStore
from audio.vosk_models import ModelError, model_path
from gateway.alert_approval import refusal
from gateway.alert_models import Alert, AlertStatus
from gateway.alerts import alert_status, sms_blocked
from gateway.database import Database
from gateway.metrics import StreamHeardNow, stream_heard
from gateway.roles import MODERATION, STAFF, Role
from gateway.settings import Settings
from gateway.visibility import voice_access
from gateway.worker import WorkerHeartbeat, live_heartbeats
from gateway.workers import WorkerKind, process_count
from playlists import asrun
from playlists.models import AsRunEntry, Playlist
from playlists.on_air import NextUp, OnAirNow, next_up, on_air_now
from playlists.planner import Planner, coming_up
from playlists.slots import Occurrence
from sms.models import LinkStatus

SKIPPED_SHOWN_FOR = timedelta(days=1)
"""Items that could not be played stay on the dashboard this long."""

OLDEST_SHOWN = 3
"""Voice messages awaiting moderation listed by name; the rest are counted."""

ALERTS_SHOWN = 5
"""The last alerts whose delivery is followed on the dashboard."""


@dataclass(frozen=True)
class NeedsPerson:
    """One fault that stays until someone acts: `code` says which, `count` how many."""

    code: str
    count: int = 1
    names: tuple[str, ...] = ()
    """What it is about: the workers not reporting, the language without a model."""


@dataclass(frozen=True)
class SmsLink:
    enabled: bool
    blocked: str | None
    """Why SMS cannot go out now ('sms_off', 'no_sms_worker'), as alerts say it."""
    links: list[LinkStatus]


@dataclass(frozen=True)
class PendingVoice:
    count: int
    oldest: list[VoiceMessage]


@dataclass(frozen=True)
class DraftWaiting:
    id: int
    text: str
    drafted_by: str
    drafted_at: datetime
    mine_to_approve: bool
    """False for the viewer's own draft: it waits for someone else."""


@dataclass
class Overview:
    on_air: OnAirNow | None
    next: NextUp | None
    next_programme: tuple[Occurrence, str] | None
    fallback: str | None
    heard: StreamHeardNow | None
    workers: dict[str, list[WorkerHeartbeat]]
    skipped: list[AsRunEntry]
    sms: SmsLink | None = None
    """None for a role that does not run the SMS relay."""
    pending_voice: PendingVoice | None = None
    """None for a role that may not see messages awaiting moderation."""
    alerts: list[dict[str, Any]] | None = None
    """None for a role that may not see alerts."""
    drafts: list[DraftWaiting] = field(default_factory=list)
    """Alerts held for a second person's approval (alerts.approvals_required)."""
    needs: list[NeedsPerson] = field(default_factory=list)


def gather(
    database: Database,
    settings: Settings,
    role: Role | None,
    *,
    now: datetime,
    actor_id: int | None = None,
) -> Overview:
    beats = live_heartbeats(database, now=now)
    workers = {kind.value: [beat for beat in beats if beat.kind == kind] for kind in WorkerKind}
    planner = Planner(database, settings=settings, store=MediaStore(settings.media.dir))
    with database.session(write=False) as session:
        current = on_air_now(session, now)
        coming = coming_up(session, now, count=1)
        fallback = session.scalar(
            select(Playlist.name).where(Playlist.is_fallback).order_by(Playlist.id).limit(1)
        )
        overview = Overview(
            on_air=current,
            next=next_up(planner, session, current, now),
            next_programme=coming[0] if coming else None,
            fallback=fallback,
            heard=stream_heard(session, now=now),
            workers=workers,
            skipped=asrun.skipped_since(session, now - SKIPPED_SHOWN_FOR),
        )
        if role in STAFF:
            overview.sms = SmsLink(
                enabled=settings.smpp.enabled,
                blocked=sms_blocked(session, settings, now=now),
                links=list(session.scalars(select(LinkStatus).order_by(LinkStatus.worker))),
            )
            alerts = session.scalars(
                select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(ALERTS_SHOWN)
            )
            overview.drafts = [
                DraftWaiting(
                    id=draft.id,
                    text=draft.text,
                    drafted_by=draft.created_by,
                    drafted_at=draft.created_at,
                    mine_to_approve=refusal(draft, actor_id=actor_id, role=role) is None,
                )
                for draft in session.scalars(
                    select(Alert)
                    .where(Alert.status == AlertStatus.DRAFT)
                    .order_by(Alert.created_at, Alert.id)
                )
            ]
            overview.alerts = [
                {
                    **alert_status(session, alert, settings=settings, now=now),
                    "sent_at": alert.created_at,
                }
                for alert in alerts
            ]
        access = voice_access(role)
        if Moderation.PENDING in access.decisions:
            waiting = moderation.Filters(moderation=Moderation.PENDING, within=access.decisions)
            overview.pending_voice = PendingVoice(
                count=moderation.count(session, waiting),
                oldest=moderation.search(session, waiting, limit=OLDEST_SHOWN, oldest_first=True),
            )
        failed = 0
        if role in MODERATION:
            failed = moderation.count(
                session,
                moderation.Filters(status=TranscriptionStatus.FAILED, within=access.decisions),
            )
        session.expunge_all()
    overview.needs = needs_a_person(overview, settings, role, failed_transcriptions=failed)
    return overview


def needs_a_person(
    overview: Overview, settings: Settings, role: Role | None, *, failed_transcriptions: int
) -> list[NeedsPerson]:
    """The faults for this role to see, worst first: each is fixed on a page the role may use
    (the fallback on the playlists page, retries on the voice list); a worker that does not
    report and a missing model are for everyone, since someone must call the technician."""
    needs: list[NeedsPerson] = []
    if overview.drafts:
        needs.append(NeedsPerson("drafts", count=len(overview.drafts)))
    if role in STAFF and overview.fallback is None:
        needs.append(NeedsPerson("no_fallback"))
    silent = tuple(
        kind.value
        for kind in WorkerKind
        if process_count(kind, settings) > 0 and not overview.workers[kind.value]
    )
    if silent:
        needs.append(NeedsPerson("workers_down", count=len(silent), names=silent))
    language = settings.transcription.default_language
    try:
        model_path(language, settings.transcription.models_dir)
    except ModelError:
        needs.append(NeedsPerson("no_model", names=(language,)))
    if failed_transcriptions:
        needs.append(NeedsPerson("failed_transcriptions", count=failed_transcriptions))
    if overview.skipped:
        needs.append(NeedsPerson("skipped", count=len(overview.skipped)))
    return needs
