"""Subscribers: who receives alerts, in which region and language, and on what consent.

Consent is recorded with its time and channel (panel, API, CSV, SMS keyword) because a network
that sends alerts to people at risk must be able to show each number asked for them. Opting out
is never undone by anything but the person's own new request.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.codes import Refused
from gateway.plain_text import plain_text
from sms.keywords import Command
from sms.languages import REGION_LANGUAGES, LanguageNotServed, served_language
from sms.models import GroupMember, Subscriber, SubscriberGroup
from sms.phones import PhoneError, mask, to_e164

LANGUAGES = REGION_LANGUAGES
"""The languages served when the caller names none (`station.languages` by default)."""
REGION_MAX = 64
"""Longer than any village or district name; short enough for an SMS reply to quote it."""


class ConsentChannel(StrEnum):
    PANEL = "panel"
    API = "api"
    CSV = "csv"
    SMS = "sms"


class Problem(StrEnum):
    """Why a subscriber request (or a row of a CSV import) was refused or skipped; the panel
    words each one in the operator's language, `str(error)` in English."""

    INVALID = "invalid"
    PHONE = "phone"
    REGION_MISSING = "region_missing"
    REGION_TOO_LONG = "region_too_long"
    LANGUAGE = "language"
    OPTED_OUT = "opted_out"
    GROUP_TOO_LONG = "group_too_long"
    OPTED_IN_VALUE = "opted_in_value"
    MARKED_OPTED_OUT = "marked_opted_out"
    DUPLICATE = "duplicate"
    HEADER = "header"
    FIELD_TOO_LONG = "field_too_long"
    MALFORMED = "malformed"


class SubscriberError(Refused):
    """A subscriber request that cannot be carried out, worded for the operator; `problem`
    and `params` let the panel say it in the operator's language. Typed text refused by
    gateway.plain_text (an invisible region, say) carries that TextProblem instead."""

    def __init__(self, message: str, problem: StrEnum | None = None, **params: str | int) -> None:
        super().__init__(message, problem, **params)


class OptedOutError(SubscriberError):
    """The number's owner opted out (STOP/BAJA); only their own keyword subscribes it again."""

    def __init__(self, subscriber: Subscriber) -> None:
        since = subscriber.opted_out_at.date().isoformat() if subscriber.opted_out_at else ""
        super().__init__(
            f"{mask(subscriber.phone)} opted out{' on ' + since if since else ''}; only the"
            " owner's own keyword by SMS (ALTA/JOIN) subscribes it again",
            Problem.OPTED_OUT,
            since=since,
        )


def fold_region(region: str) -> str:
    """Case- and accent-insensitive key for a region or community name."""
    decomposed = unicodedata.normalize("NFKD", region.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def clean_region(region: str, *, error: Callable[[str], Exception] | None = None) -> str:
    """A region or community name as stored and matched; the same rule for subscribers and
    for the regions an alert is sent to. Without `error`, a missing or over-long region is
    refused with its own Problem, so the panel can word it in the operator's language."""
    if error is None:
        squashed = " ".join(region.split())
        if not squashed:
            raise SubscriberError("a region or community is required", Problem.REGION_MISSING)
        if len(squashed) > REGION_MAX:
            raise SubscriberError(
                f"the region name is longer than {REGION_MAX} characters",
                Problem.REGION_TOO_LONG,
                limit=REGION_MAX,
            )
        error = SubscriberError
    return plain_text(region, what="the region", max_chars=REGION_MAX, error=error)


def _clean_language(language: str | None, languages: Sequence[str]) -> str:
    try:
        return served_language(language, languages)
    except LanguageNotServed as exc:
        raise SubscriberError(str(exc), Problem.LANGUAGE, choices=", ".join(languages)) from None


EVERY_REGION = frozenset({"*", "all", "todas", "todos"})
"""Region names (folded) that stand for every region."""


def regions_without_subscribers(session: Session, regions: list[str]) -> list[str]:
    """The named regions where nobody is subscribed (opted in), as named; for a name meaning
    every region, that name when nobody is subscribed anywhere."""
    subscribed = set(
        session.scalars(select(Subscriber.region_key).where(Subscriber.opted_in).distinct())
    )
    return unreached(regions, subscribed)


def unreached(regions: list[str], subscribed_keys: set[str]) -> list[str]:
    """`regions` whose folded key is not among `subscribed_keys`; a name meaning every region
    is unreached only when no key is subscribed at all."""
    return [
        region
        for region in regions
        if not subscribed_keys
        or (fold_region(region) not in EVERY_REGION and fold_region(region) not in subscribed_keys)
    ]


def keyword_region(session: Session, command: Command) -> tuple[str, str | None]:
    """The region and language a subscription keyword asks for. Its last word was read as a
    language; but when the whole, that word included, is a region people already subscribe
    to ("Cerro Mam"), it is that region, in the keyword's own language."""
    if command.named_language is None:
        return command.region, None
    known = session.scalar(
        select(Subscriber.id).where(Subscriber.region_key == fold_region(command.whole)).limit(1)
    )
    if known is not None:
        return command.whole, None
    return command.region, command.named_language


def find(session: Session, phone_e164: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.phone == phone_e164))


def checked_details(
    *,
    phone: str,
    region: str,
    language: str | None,
    default_region: str,
    languages: Sequence[str] = LANGUAGES,
) -> tuple[str, str, str]:
    """The number in E.164, the region and the language code as stored, or SubscriberError;
    shared by every way in, one at a time or a whole file."""
    try:
        e164 = to_e164(phone, default_region=default_region)
    except PhoneError as exc:
        raise SubscriberError(str(exc), Problem.PHONE, value=phone.strip()[:40]) from None
    return e164, clean_region(region), _clean_language(language, languages)


def subscribe(
    session: Session,
    *,
    phone: str,
    region: str,
    language: str | None,
    channel: ConsentChannel,
    default_region: str,
    now: datetime,
    languages: Sequence[str] = LANGUAGES,
) -> Subscriber:
    """Add a number, or change an existing one's region and language; raises SubscriberError
    on bad input and OptedOutError for a number whose owner opted out, unless this is that
    person's own keyword (channel SMS). Consent is recorded when it is given (a new number, or
    the person's own keyword), not rewritten when staff correct a subscriber's region."""
    e164, cleaned_region, code = checked_details(
        phone=phone,
        region=region,
        language=language,
        default_region=default_region,
        languages=languages,
    )
    subscriber = find(session, e164)
    if subscriber is not None and not subscriber.opted_in and channel is not ConsentChannel.SMS:
        raise OptedOutError(subscriber)
    gives_consent = subscriber is None or channel is ConsentChannel.SMS
    if subscriber is None:
        subscriber = Subscriber(phone=e164, created_at=now)
        session.add(subscriber)
    subscriber.region = cleaned_region
    subscriber.region_key = fold_region(cleaned_region)
    subscriber.language = code
    if gives_consent:
        subscriber.opted_in = True
        subscriber.consent_at = now
        subscriber.consent_channel = channel.value
        subscriber.opted_out_at = None
    session.flush()
    return subscriber


def unsubscribe(session: Session, *, phone_e164: str, now: datetime) -> Subscriber | None:
    subscriber = find(session, phone_e164)
    if subscriber is not None and subscriber.opted_in:
        subscriber.opted_in = False
        subscriber.opted_out_at = now
    return subscriber


def recipients(session: Session, regions: list[str]) -> list[Subscriber]:
    """Opted-in subscribers of these regions ("*" or "all" means every region)."""
    query = select(Subscriber).where(Subscriber.opted_in).order_by(Subscriber.id)
    keys = {fold_region(region) for region in regions}
    if not keys & EVERY_REGION:
        query = query.where(Subscriber.region_key.in_(keys))
    return list(session.scalars(query))


def set_groups(session: Session, subscriber: Subscriber, names: list[str]) -> None:
    wanted = {" ".join(name.split()) for name in names if name.strip()}
    for name in wanted:
        group = session.scalar(select(SubscriberGroup).where(SubscriberGroup.name == name))
        if group is None:
            group = SubscriberGroup(name=name)
            session.add(group)
            session.flush()
        exists = session.scalar(
            select(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.subscriber_id == subscriber.id
            )
        )
        if exists is None:
            session.add(GroupMember(group_id=group.id, subscriber_id=subscriber.id))
