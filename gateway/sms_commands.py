"""`altavoz sms send` and `altavoz alert send`: the same queue the panel and the API use.

A message typed at the command line goes through the durable outbox like any other, so it is
never lost. If an SMS worker is running (under `altavoz serve`) it carries the message; if
none is, the command runs one itself until its messages have left, so `sms send` also works
on a machine where only the command line is used.
"""

from __future__ import annotations

import getpass
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from gateway.accounts import Actor
from gateway.alerts import AlertError, AlertRequest, create_alert
from gateway.cli import app_database, app_settings, fail
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.worker import live_heartbeats
from sms import outbox
from sms.compose import ComposeError, compose, typed_text
from sms.models import OutboundSegment, SegmentState
from sms.phones import PhoneError, to_e164

SEND_TIMEOUT_S = 60.0
WAITING_STATES = (SegmentState.QUEUED, SegmentState.SUBMITTING)


def _cli_actor() -> Actor:
    return Actor(id=None, name=f"cli:{getpass.getuser()}")


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
    click.echo(
        f"queued message {message_id} to {destination}: {composed.encoding}, "
        f"{len(composed.segments)} segment(s)"
    )
    if no_wait:
        return
    _deliver(settings, database, OutboundSegment.message_id == message_id)
    with database.session() as session:
        states = dict(
            session.execute(
                select(OutboundSegment.state, func.count())
                .where(OutboundSegment.message_id == message_id)
                .group_by(OutboundSegment.state)
            ).all()
        )
        errors = session.scalars(
            select(OutboundSegment.error).where(
                OutboundSegment.message_id == message_id, OutboundSegment.error != ""
            )
        ).all()
    if any(state in states for state in WAITING_STATES):
        fail(f"message {message_id} is still queued: the SMSC did not take it in time")
    if SegmentState.FAILED in states or SegmentState.EXPIRED in states:
        fail(f"message {message_id} failed: {'; '.join(sorted(set(errors)))}")
    click.echo(f"message {message_id} submitted to the SMSC")


@click.group("alert")
def alert_group() -> None:
    """Urgent alerts by SMS and on air."""


@alert_group.command("send")
@click.option("--text", required=True, help="the alert")
@click.option("--region", "regions", multiple=True, help="a region to alert ('*' for all)")
@click.option("--air", is_flag=True, help="interrupt the stream to read it on air")
@click.option("--sms", "by_sms", is_flag=True, help="send it by SMS to the regions' subscribers")
@with_appcontext
def alert_send(text: str, regions: tuple[str, ...], air: bool, by_sms: bool) -> None:
    """Send an urgent alert (both channels when neither --air nor --sms is given)."""
    settings = app_settings()
    database = app_database()
    channels = [name for name, wanted in (("sms", by_sms), ("air", air)) if wanted] or [
        "sms",
        "air",
    ]
    try:
        request = AlertRequest.from_json(
            {"text": text, "regions": list(regions), "channels": channels}
        )
    except AlertError as exc:
        fail(str(exc))
    with database.session() as session:
        try:
            alert = create_alert(
                session, request, settings=settings, actor=_cli_actor(), now=utcnow()
            )
        except AlertError as exc:
            session.rollback()
            fail(str(exc))
        alert_id, recipients = alert.id, alert.recipients
    click.echo(f"alert {alert_id}: {recipients} SMS recipient(s), channels {', '.join(channels)}")


def _deliver(settings: Settings, database: Database, which: object) -> None:
    """Wait for a running SMS worker to take the segments, or carry them ourselves."""
    deadline = time.monotonic() + SEND_TIMEOUT_S
    if any(beat.kind == "sms" for beat in live_heartbeats(database, now=utcnow())):
        while time.monotonic() < deadline and _waiting(database, which):
            time.sleep(0.2)
        return
    if not settings.smpp.enabled:
        fail("SMPP is disabled (smpp.enabled = false); the message stays queued")
    from sms.worker import SmsWorker

    worker = SmsWorker(settings, database)
    worker.setup()
    try:
        while time.monotonic() < deadline and _waiting(database, which):
            if not worker.step():
                worker.wakeup.wait(0.05)
                worker.wakeup.clear()
    finally:
        worker.teardown()


def _waiting(database: Database, which: object) -> bool:
    with database.session() as session:
        count = session.scalar(
            select(func.count(OutboundSegment.id)).where(
                which,  # type: ignore[arg-type]
                OutboundSegment.state.in_([state.value for state in WAITING_STATES]),
            )
        )
    return bool(count)
