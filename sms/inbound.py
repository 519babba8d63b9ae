"""Mobile-originated SMS: reassembled, stored, and answered when they carry a keyword.

Everything a village sends is kept (a message that is not a keyword may be a report of
danger) and shown in the panel. Keywords change consent: `ALTA <region>` records an opt-in
by SMS with its time, `BAJA` an opt-out that also withdraws anything still queued for that
number, so an opted-out phone is never sent to again, and is answered once to confirm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.settings import Settings, SmppSettings
from sms import outbox, subscribers
from sms.compose import ComposeError, compose
from sms.inbound_text import Part, assemble, decode_inbound
from sms.keywords import Command, CommandKind, parse_keyword, reply_text
from sms.link_events import Delivery
from sms.models import InboundMessage, InboundPart
from sms.phones import PhoneError, to_e164
from sms.subscribers import ConsentChannel, SubscriberError

log = logging.getLogger(__name__)

TON_INTERNATIONAL = 1


@dataclass(frozen=True)
class Received:
    """What one deliver_sm amounted to: nothing yet (a part), or a whole message."""

    message: InboundMessage | None
    command: Command | None = None


def sender_number(delivery: Delivery, *, default_region: str) -> str:
    """The sender in E.164 when it parses; the raw address otherwise (it is still kept)."""
    raw = delivery.source_addr.strip()
    if delivery.source_addr_ton == TON_INTERNATIONAL and not raw.startswith("+"):
        raw = "+" + raw
    try:
        return to_e164(raw, default_region=default_region)
    except PhoneError:
        return raw[:20]


class InboundHandler:
    """Turns raw deliver_sm into stored messages and keyword actions, inside the caller's
    transaction, so a message is either fully recorded (with its reply queued) or not at all."""

    def __init__(self, *, settings: SmppSettings) -> None:
        self.smpp = settings

    def handle(
        self, session: Session, delivery: Delivery, *, settings: Settings, now: datetime
    ) -> Received:
        payload = delivery.message_payload or delivery.short_message
        decoded = decode_inbound(
            payload,
            data_coding=delivery.data_coding,
            esm_class=delivery.esm_class,
            gsm7_data_coding=self.smpp.gsm7_data_coding,
        )
        source = sender_number(delivery, default_region=self.smpp.default_region)
        part = decoded.part
        if part is None and delivery.sar is not None:
            sar = delivery.sar
            part = Part(reference=sar.reference, total=sar.total, seq=sar.sequence)
        text = decoded.text
        if part is not None and part.total > 1:
            whole = self._collect(session, source, part, decoded.text, now)
            if whole is None:
                return Received(None)
            text = whole
        command = parse_keyword(text, settings.station.languages)
        message = InboundMessage(
            source=source,
            text=text,
            keyword=command.kind.value if command is not None else "",
            received_at=now,
        )
        session.add(message)
        if command is not None:
            self._act(session, source, command, settings=settings, now=now)
        session.flush()
        return Received(message, command)

    def keep_unhandled(self, session: Session, delivery: Delivery, *, now: datetime) -> None:
        """Store a message whose handling failed, its octets read as Latin-1 (which never
        fails), so no report is lost and the operator can read it."""
        payload = delivery.message_payload or delivery.short_message
        session.add(
            InboundMessage(
                source=delivery.source_addr.strip()[:20],
                text=payload.decode("latin-1"),
                keyword="",
                received_at=now,
            )
        )
        session.flush()

    def _collect(
        self, session: Session, source: str, part: Part, text: str, now: datetime
    ) -> str | None:
        """Keep a part until all its siblings are in, whatever order they arrive in."""
        key = (
            InboundPart.source == source,
            InboundPart.reference == part.reference,
            InboundPart.total == part.total,
        )
        exists = session.scalar(select(InboundPart.id).where(*key, InboundPart.seq == part.seq))
        if exists is None:
            try:
                with session.begin_nested():
                    session.add(
                        InboundPart(
                            source=source,
                            reference=part.reference,
                            total=part.total,
                            seq=part.seq,
                            text=text,
                            received_at=now,
                        )
                    )
            except IntegrityError:
                log.info(
                    "duplicate part %d of message %d from %s", part.seq, part.reference, source
                )
        parts = {row.seq: row.text for row in session.scalars(select(InboundPart).where(*key))}
        whole = assemble(parts, part.total)
        if whole is not None:
            session.execute(delete(InboundPart).where(*key))
        return whole

    def _act(
        self, session: Session, source: str, command: Command, *, settings: Settings, now: datetime
    ) -> None:
        language = command.language
        region, named = subscribers.keyword_region(session, command)
        confirm_opt_out = False
        if command.kind is CommandKind.SUBSCRIBE and region:
            try:
                subscriber = subscribers.subscribe(
                    session,
                    phone=source,
                    region=region,
                    language=named or language,
                    channel=ConsentChannel.SMS,
                    default_region=self.smpp.default_region,
                    now=now,
                    languages=settings.station.languages,
                )
            except PhoneError as exc:
                log.warning("could not subscribe %s: %s", source, exc)
                return
            except SubscriberError as exc:
                # The sender is asked again for a community name, as when none was given.
                log.warning("could not subscribe %s: %s", source, exc)
                region = ""
            else:
                language = subscriber.language or language
        elif command.kind is CommandKind.UNSUBSCRIBE:
            leaving = subscribers.unsubscribe(session, phone_e164=source, now=now)
            if leaving is not None:
                language = leaving.language or language
            withdrawn = outbox.cancel_queued(
                session, destination=source, reason="the number opted out", now=now
            )
            if withdrawn:
                log.info("withdrew %d queued segments for %s after opt-out", withdrawn, source)
            confirm_opt_out = True
        reply = reply_text(command.kind, language, region=region, station=settings.station.name)
        self._reply(session, source, reply, confirm_opt_out=confirm_opt_out, now=now)

    def _reply(
        self, session: Session, destination: str, text: str, *, confirm_opt_out: bool, now: datetime
    ) -> None:
        if not destination.startswith("+"):
            return
        try:
            composed = compose(text, settings=self.smpp)
        except ComposeError as exc:
            log.error("keyword reply not sent to %s: %s", destination, exc)
            return
        outbox.enqueue(
            session,
            destination=destination,
            text=composed.text,
            encoding=composed.encoding,
            segments=[
                outbox.SegmentPayload(s.short_message, s.data_coding, s.esm_class)
                for s in composed.segments
            ],
            alert_id=None,
            now=now,
            confirm_opt_out=confirm_opt_out,
        )
