"""Subscribers: who receives alerts, in which region and language, and on what consent.

Consent is recorded with its time and channel (panel, API, CSV, SMS keyword) because a network
that sends alerts to people at risk must be able to show each number asked for them. Opting out
is never undone by anything but the person's own new request.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.plain_text import plain_text
from sms.models import GroupMember, Subscriber, SubscriberGroup
from sms.phones import PhoneError, to_e164

LANGUAGES = ("es", "en")
REGION_MAX = 64
"""Longer than any village or district name; short enough for an SMS reply to quote it."""
CSV_COLUMNS = ("phone", "region", "language", "groups", "opted_in", "consent_at", "consent_channel")


class ConsentChannel(StrEnum):
    PANEL = "panel"
    API = "api"
    CSV = "csv"
    SMS = "sms"


class SubscriberError(ValueError):
    """A subscriber request that cannot be carried out, worded for the operator."""


def fold_region(region: str) -> str:
    """Case- and accent-insensitive key for a region or community name."""
    decomposed = unicodedata.normalize("NFKD", region.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def clean_region(region: str, *, error: Callable[[str], Exception] = SubscriberError) -> str:
    """A region or community name as stored and matched; the same rule for subscribers and
    for the regions an alert is sent to."""
    return plain_text(region, what="the region", max_chars=REGION_MAX, error=error)


def _clean_language(language: str | None) -> str:
    code = (language or "es").strip().lower()
    if code not in LANGUAGES:
        raise SubscriberError(f"language must be one of: {', '.join(LANGUAGES)}")
    return code


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


def find(session: Session, phone_e164: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.phone == phone_e164))


def subscribe(
    session: Session,
    *,
    phone: str,
    region: str,
    language: str | None,
    channel: ConsentChannel,
    default_region: str,
    now: datetime,
) -> Subscriber:
    """Add or re-subscribe a number; raises SubscriberError or PhoneError on bad input."""
    e164 = to_e164(phone, default_region=default_region)
    cleaned_region = clean_region(region)
    code = _clean_language(language)
    subscriber = find(session, e164)
    if subscriber is None:
        subscriber = Subscriber(phone=e164, created_at=now)
        session.add(subscriber)
    subscriber.region = cleaned_region
    subscriber.region_key = fold_region(cleaned_region)
    subscriber.language = code
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


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_csv(session: Session, text: str, *, default_region: str, now: datetime) -> ImportReport:
    """Import phone,region[,language][,groups] rows; bad rows are reported, good rows kept."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"phone", "region"} <= {
        name.strip().lower() for name in reader.fieldnames
    }:
        raise SubscriberError("the CSV needs a header row with at least 'phone' and 'region'")
    for line_number, raw_row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "") for k, v in raw_row.items() if k}
        try:
            with session.begin_nested():
                e164 = to_e164(row.get("phone", ""), default_region=default_region)
                existed = find(session, e164) is not None
                subscriber = subscribe(
                    session,
                    phone=e164,
                    region=row.get("region", ""),
                    language=row.get("language") or None,
                    channel=ConsentChannel.CSV,
                    default_region=default_region,
                    now=now,
                )
                set_groups(session, subscriber, row.get("groups", "").split(";"))
        except (PhoneError, SubscriberError) as exc:
            report.errors.append((line_number, str(exc)))
            continue
        if existed:
            report.updated += 1
        else:
            report.added += 1
    return report


def export_csv(session: Session) -> str:
    groups: dict[int, list[str]] = {}
    rows = session.execute(
        select(GroupMember.subscriber_id, SubscriberGroup.name).join(
            SubscriberGroup, SubscriberGroup.id == GroupMember.group_id
        )
    )
    for subscriber_id, name in rows:
        groups.setdefault(subscriber_id, []).append(name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for subscriber in session.scalars(select(Subscriber).order_by(Subscriber.id)):
        writer.writerow(
            [
                subscriber.phone,
                subscriber.region,
                subscriber.language,
                ";".join(sorted(groups.get(subscriber.id, []))),
                "yes" if subscriber.opted_in else "no",
                subscriber.consent_at.isoformat() if subscriber.consent_at else "",
                subscriber.consent_channel,
            ]
        )
    return out.getvalue()
