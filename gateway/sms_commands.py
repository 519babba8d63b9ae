"""`altavoz sms send`: the same queue the panel and the API use.

A message typed at the command line goes through the durable outbox like any other, so it is
never lost. If an SMS worker is running (under `altavoz serve`) it carries the message; if
none is, the command runs one itself until its messages have left, so `sms send` also works
on a machine where only the command line is used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from gateway.cli_support import app_database, app_settings, fail
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.web.labels import label
from gateway.worker import live_heartbeats
from sms import outbox
from sms.compose import ComposeError, compose, typed_text
from sms.link_events import LinkState
from sms.models import LinkStatus, OutboundSegment, SegmentState
from sms.phones import PhoneError, to_e164

SEND_TIMEOUT_S = 60.0
BIND_GRACE_S = 2.0
"""How much longer than `smpp.bind_timeout_s` a command waits for a bind before it gives up;
normally the link reports the fault itself when its own bind timeout runs out."""
WAIT_POLL_S = 0.2
WAITING_STATES = (SegmentState.QUEUED, SegmentState.SUBMITTING)


@click.group("sms")
def sms_group() -> None:
    """Send SMS through the configured SMSC."""


@sms_group.command("send")
@click.option("--to", "to", required=True, help="the phone number (E.164 or national form)")
@click.option("--text", required=True, help="the message")
@click.option(
    "--smart/--exact", default=None, help="replace accents to fit GSM-7 (default: config)"
)
@click.option("--no-wait", is_flag=True, help="queue it and return at once")
@with_appcontext
def sms_send(to: str, text: str, smart: bool | None, no_wait: bool) -> None:
    """Queue one SMS, then wait until the SMSC has accepted or refused it."""
    settings = app_settings()
    database = app_database()
    try:
        destination = to_e164(to, default_region=settings.smpp.default_region)
        composed = compose(typed_text(text), settings=settings.smpp, smart=smart)
    except (PhoneError, ComposeError) as exc:
        fail(str(exc))
    with database.session() as session:
        try:
            message = outbox.enqueue(
                session,
                destination=destination,
                text=composed.text,
                encoding=composed.encoding,
                segments=[
                    outbox.SegmentPayload(s.short_message, s.data_coding, s.esm_class)
                    for s in composed.segments
                ],
                alert_id=None,
                now=utcnow(),
            )
        except outbox.OptedOutError as exc:
            fail(str(exc))
        message_id = message.id
    if composed.summary:
        click.echo(composed.summary)
    what = f"message {message_id} to {destination} ({composed.encoding}, " + (
        f"{len(composed.segments)} segment(s))"
    )
    if no_wait:
        click.echo(f"queued {what}")
        return
    problem = _deliver(settings, database, message_id)
    if problem is not None:
        fail(problem)
    with database.session() as session:
        states = set(
            session.scalars(
                select(OutboundSegment.state).where(OutboundSegment.message_id == message_id)
            )
        )
        errors = session.scalars(
            select(OutboundSegment.error).where(
                OutboundSegment.message_id == message_id, OutboundSegment.error != ""
            )
        ).all()
    if SegmentState.FAILED in states or SegmentState.EXPIRED in states:
        fail(f"message {message_id} failed: {'; '.join(sorted(set(errors)))}")
    click.echo(f"{what} submitted to the SMSC")


def _deliver(settings: Settings, database: Database, message_id: int) -> str | None:
    """Wait for a running SMS worker to take the message, or carry it ourselves; None once the
    SMSC has answered for every segment, else the one line that says why not and what becomes
    of the message."""
    workers = [
        f"sms@{beat.host}:{beat.pid}"
        for beat in live_heartbeats(database, now=utcnow())
        if beat.kind == "sms"
    ]
    if workers:
        bind_wait_s = settings.smpp.bind_timeout_s + BIND_GRACE_S
        return _wait_for_workers(database, message_id, workers, bind_wait_s=bind_wait_s)
    if not settings.smpp.enabled:
        return "SMPP is disabled (smpp.enabled = false); the message stays queued"
    return _carry_ourselves(settings, database, message_id)


def _wait_for_workers(
    database: Database, message_id: int, workers: list[str], *, bind_wait_s: float
) -> str | None:
    """The running worker owns the message; give up waiting (it stays queued) as soon as its
    link is known to be down, so the operator is not left staring at a silent command."""
    started = time.monotonic()
    while _waiting(database, message_id):
        elapsed = time.monotonic() - started
        with database.session() as session:
            links = list(session.scalars(select(LinkStatus).where(LinkStatus.worker.in_(workers))))
        bound = any(link.state == LinkState.BOUND.value for link in links)
        broken = [link for link in links if link.detail]
        if not bound and (broken or elapsed > bind_wait_s):
            link = broken[0] if broken else None
            with force_locale("en"):  # the stored fault is a code; the CLI speaks English
                why = f"{link.state}: {label(link.detail)}" if link else "not bound"
            return (
                f"message {message_id} not sent yet, it stays queued: the running SMS worker "
                f"({', '.join(workers)}) will send it once its SMPP link is up ({why})"
            )
        if elapsed > SEND_TIMEOUT_S:
            return (
                f"message {message_id} is still queued after {SEND_TIMEOUT_S:.0f} s; "
                "the running SMS worker will send it"
            )
        time.sleep(WAIT_POLL_S)
    return None


def _carry_ourselves(settings: Settings, database: Database, message_id: int) -> str | None:
    """Run an SMS worker in this process until the message has left. If the link cannot bind
    (SMSC unreachable, bind refused) stop at the first fault, and withdraw the message when
    nothing of it reached the SMSC: no worker would otherwise send it, and re-running the
    command would queue it a second time."""
    from sms.worker import SmsWorker

    worker = SmsWorker(settings, database)
    started = time.monotonic()
    fault: str | None = None
    ever_bound = False
    bind_wait_s = settings.smpp.bind_timeout_s + BIND_GRACE_S
    with _link_logs_quiet():
        worker.setup()
        try:
            assert worker.link is not None
            while _waiting(database, message_id):
                elapsed = time.monotonic() - started
                ever_bound = ever_bound or worker.link.state is LinkState.BOUND
                if worker.link.state is not LinkState.BOUND and (
                    worker.link.counters.faults or (not ever_bound and elapsed > bind_wait_s)
                ):
                    fault = worker.link.last_error or (
                        f"no answer from the SMSC at {settings.smpp.host}:{settings.smpp.port} "
                        f"within {bind_wait_s:.0f} s"
                    )
                    break
                if elapsed > SEND_TIMEOUT_S:
                    fault = f"the SMSC did not take it within {SEND_TIMEOUT_S:.0f} s"
                    break
                if not worker.step():
                    worker.wakeup.wait(0.05)
                    worker.wakeup.clear()
        finally:
            worker.teardown()
    if fault is None:
        return None
    with database.session() as session:
        withdrawn = outbox.withdraw_unsent(
            session, message_id=message_id, reason=f"withdrawn: {fault}", now=utcnow()
        )
    if withdrawn:
        return f"{fault}; message {message_id} withdrawn, nothing was sent"
    return (
        f"{fault}; message {message_id} stays queued (part of it may have reached the SMSC) "
        "and goes with the next SMS worker"
    )


@contextmanager
def _link_logs_quiet() -> Iterator[None]:
    """The command says in one line what went wrong; the link's own warnings (one per
    reconnect attempt) and smpplib's chatter would bury that line."""
    sms_logger = logging.getLogger("sms")
    level = sms_logger.level
    sms_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        sms_logger.setLevel(level)


def _waiting(database: Database, message_id: int) -> bool:
    with database.session() as session:
        count = session.scalar(
            select(func.count(OutboundSegment.id)).where(
                OutboundSegment.message_id == message_id,
                OutboundSegment.state.in_([state.value for state in WAITING_STATES]),
            )
        )
    return bool(count)
