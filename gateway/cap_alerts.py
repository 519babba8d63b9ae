"""Alerts as CAP 1.2 messages, out and in.

Out: every alert is one CAP message from this station (`alerts.cap_sender`): an alert is an
Alert, a correction an Update and a cancellation a Cancel, each `references` naming the
messages it follows. A draft is exported with status Draft (a preview for other tools, not
actionable); a rejected draft was never issued, so it has no CAP message (`CapUnavailable`).

In: a message from another warning system becomes an alert, a correction or a cancellation
of the alert its `references` name. Only Actual, Public messages are acted on, every
`areaDesc` must be a region where someone is (or was) subscribed, and unless its sender is
in `alerts.cap_trusted_senders` it is held as a draft until a person approves it. The
drafter of an imported alert is the other system (`cap:<sender>`), not the token's owner,
so any admin or operator account may approve it, the token's owner included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.accounts import Actor
from gateway.alert_models import Alert, AlertChannel, AlertKind, AlertStatus
from gateway.alert_withdrawal import cancel_alert, correct_alert
from gateway.alerts import AlertRequest, create_alert
from gateway.cap_message import CapError, Info, Message, Profile, Reference, cap_time
from gateway.settings import Settings
from sms.models import Subscriber
from sms.subscribers import EVERY_REGION, clean_region, fold_region

MSG_TYPES = {AlertKind.ALERT: "Alert", AlertKind.CORRECTION: "Update", AlertKind.CANCEL: "Cancel"}


class CapUnavailable(CapError):
    """The alert exists but has no CAP message (a rejected draft)."""


class CapDuplicate(CapError):
    """This sender's message with this identifier was imported already."""


def profile(settings: Settings) -> Profile:
    alerts = settings.alerts
    return Profile(
        sender=alerts.cap_sender,
        sender_name=settings.station.name,
        language=alerts.cap_language,
        category=alerts.cap_category,
        event=alerts.cap_event,
        urgency=alerts.cap_urgency,
        severity=alerts.cap_severity,
        certainty=alerts.cap_certainty,
        zone=settings.station.zone,
    )


def identifier(sender: str, alert_id: int) -> str:
    """This station's CAP identifier of an alert: stable, and unique to the station's sender."""
    return f"{sender}-alert-{alert_id}"


def _sent(alert: Alert) -> datetime:
    """When the message was issued: approval sends a draft, so its sent is the approval."""
    if alert.status != AlertStatus.DRAFT and alert.decided_at is not None:
        return alert.decided_at
    return alert.created_at


def _reference(alert: Alert, station: Profile) -> Reference:
    return Reference(
        station.sender, identifier(station.sender, alert.id), cap_time(_sent(alert), station.zone)
    )


def export(session: Session, alert: Alert, settings: Settings) -> Message:
    """The alert as this station's CAP message."""
    if alert.status == AlertStatus.REJECTED:
        raise CapUnavailable(f"alert {alert.id} was rejected: it was never issued, so no CAP")
    station = profile(settings)
    chain: list[Reference] = []
    earlier = alert
    seen = {alert.id}
    while earlier.references_id is not None and earlier.references_id not in seen:
        found = session.get(Alert, earlier.references_id)
        if found is None:
            break
        earlier = found
        seen.add(earlier.id)
        chain.insert(0, _reference(earlier, station))
    return Message(
        identifier=identifier(station.sender, alert.id),
        sender=station.sender,
        sent=cap_time(_sent(alert), station.zone),
        status="Draft" if alert.status == AlertStatus.DRAFT else "Actual",
        msg_type=MSG_TYPES[AlertKind(alert.kind)],
        scope="Public",
        references=chain,
        infos=[Info(language=station.language, text=alert.text, areas=list(alert.regions))],
    )


@dataclass(frozen=True)
class Imported:
    alert: Alert
    trusted: bool


def import_message(
    session: Session, message: Message, *, settings: Settings, actor: Actor, now: datetime
) -> Imported:
    """Act on a validated message from another system; CapError (nothing done) if it cannot
    be. The caller commits, or rolls back on any error."""
    if message.status != "Actual":
        raise CapError(f"status {message.status}: only Actual messages are put on air and sent")
    if message.scope != "Public":
        raise CapError(f"scope {message.scope}: only Public messages are broadcast")
    if message.msg_type not in MSG_TYPES.values():
        raise CapError(f"msgType {message.msg_type}: only Alert, Update and Cancel are taken")
    duplicate = session.scalar(
        select(Alert.id).where(
            Alert.cap_sender == message.sender, Alert.cap_identifier == message.identifier
        )
    )
    if duplicate is not None:
        raise CapDuplicate(
            f"{message.sender} message {message.identifier} was imported already "
            f"(alert {duplicate})"
        )
    trusted = message.sender in settings.alerts.cap_trusted_senders
    info = message.info_for(settings.alerts.cap_language)
    regions = known_regions(session, info.areas) if info is not None else []
    drafter = Actor(id=None, name=f"cap:{message.sender}"[:80], address=actor.address)
    if message.msg_type == "Alert":
        if info is None or not info.text:
            raise CapError("an Alert needs an info block with a description")
        if not regions:
            raise CapError("an Alert needs at least one area (areaDesc naming a region)")
        channels = [AlertChannel.AIR] + ([AlertChannel.SMS] if settings.smpp.enabled else [])
        request = AlertRequest.from_json(
            {"text": info.text, "regions": regions, "channels": [c.value for c in channels]}
        )
        record = create_alert(
            session, request, settings=settings, actor=drafter, now=now, draft=not trusted
        )
    elif message.msg_type == "Update":
        if info is None or not info.text:
            raise CapError("an Update needs an info block with the corrected description")
        original = referenced(session, message, settings)
        record = correct_alert(
            session,
            original,
            info.text,
            settings=settings,
            actor=drafter,
            now=now,
            draft=not trusted,
        )
    else:
        original = referenced(session, message, settings)
        record = cancel_alert(
            session, original, settings=settings, actor=drafter, now=now, draft=not trusted
        )
    record.cap_sender, record.cap_identifier = message.sender, message.identifier
    record.cap_sent = message.sent
    audit.record_by(
        session,
        actor,
        action="alert.cap_import",
        target=f"alert {record.id}",
        details={
            "sender": message.sender,
            "identifier": message.identifier,
            "msg_type": message.msg_type,
            "trusted": trusted,
            "status": record.status,
        },
    )
    return Imported(alert=record, trusted=trusted)


def known_regions(session: Session, areas: list[str]) -> list[str]:
    """The areas as regions, each one where someone is (or was) subscribed, or a name for
    every region; CapError names the first that is neither."""
    known = set(session.scalars(select(Subscriber.region_key).distinct()))
    regions = []
    for area in areas:
        region = clean_region(area, error=CapError)
        if fold_region(region) not in known and fold_region(region) not in EVERY_REGION:
            raise CapError(f"unknown area {area[:80]!r}: nobody is subscribed in a region so named")
        regions.append(region)
    return list(dict.fromkeys(regions))


def referenced(session: Session, message: Message, settings: Settings) -> Alert:
    """The latest alert among those the message references: imported ones by their CAP
    sender and identifier, this station's own by the identifier it exported."""
    if not message.references:
        raise CapError(f"a {message.msg_type} must name the message it follows in 'references'")
    own_prefix = identifier(settings.alerts.cap_sender, 0)[:-1]
    found = []
    for reference in message.references:
        alert = session.scalar(
            select(Alert).where(
                Alert.cap_sender == reference.sender,
                Alert.cap_identifier == reference.identifier,
            )
        )
        own = reference.identifier.removeprefix(own_prefix)
        mine = reference.sender == settings.alerts.cap_sender and own.isdigit() and len(own) < 10
        if alert is None and mine:
            alert = session.get(Alert, int(own))
        if alert is not None:
            found.append(alert)
    if not found:
        named = ", ".join(str(reference)[:120] for reference in message.references[:3])
        raise CapError(f"the references name no alert known here: {named}")
    return max(found, key=lambda alert: alert.id)
