"""Subscribers as CSV: the export, and the import that takes a whole file or nothing.

An import is checked entirely before anything is written: one bad row and the file is refused,
every bad row reported by its line number, so an operator never has to work out which half of
a list went in. It then goes in as one transaction, in bulk, because a village list can hold a
hundred thousand numbers and the workers must not wait long for the write lock.

Consent: a row never re-subscribes a number whose owner opted out, and a row the file itself
marks as opted out (`opted_in` = no, as our export writes it) never subscribes anyone. Both are
reported as skipped, with the reason; so an export imported back changes nothing. The
`consent_at` and `consent_channel` columns of an export are for people to read: a number new to
this station is recorded as consenting now, by CSV, and a known one keeps its own record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from gateway.csv_export import csv_text, restore_cell
from gateway.database import Base
from sms.models import GroupMember, Subscriber, SubscriberGroup
from sms.subscribers import (
    LANGUAGES,
    ConsentChannel,
    Problem,
    SubscriberError,
    checked_details,
    fold_region,
)

CSV_COLUMNS = ("phone", "region", "language", "groups", "opted_in", "consent_at", "consent_channel")
GROUP_MAX = 80
OPTED_IN_WORDS = {"": True, "yes": True, "sí": True, "si": True, "true": True, "1": True}
OPTED_OUT_WORDS = {"no": False, "false": False, "0": False}


@dataclass(frozen=True)
class RowIssue:
    """A row refused (an error) or left alone (skipped), with the reason."""

    line: int
    problem: StrEnum | None
    """A Problem, or the TextProblem of typed text gateway.plain_text refused."""
    message: str
    params: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportRow:
    line: int
    phone: str
    region: str
    region_key: str
    language: str
    groups: frozenset[str]


@dataclass
class ImportReport:
    """What an import did; when `errors` is not empty it did nothing at all."""

    lines: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[RowIssue] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "lines": self.lines,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "errors": len(self.errors),
        }


class _CountedLines:
    """The text's lines, counting how many csv has taken: the line it was reading when it
    gave up (its own `line_num` lags behind when a field is too long)."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text))
        self.taken = 0

    def __iter__(self) -> _CountedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken += 1
        return line


def _records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; a file csv cannot read is refused whole, with the line."""
    lines = _CountedLines(text)
    reader = csv.DictReader(lines)
    try:
        names = reader.fieldnames
        if names is None or not {"phone", "region"} <= {n.strip().lower() for n in names}:
            raise SubscriberError(
                "the CSV needs a header row with at least 'phone' and 'region'", Problem.HEADER
            )
        for raw in reader:
            row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if k}
            yield lines.taken, {name: restore_cell(value) for name, value in row.items()}
    except csv.Error as exc:
        limit = csv.field_size_limit()
        if "field limit" in str(exc):
            raise SubscriberError(
                f"line {lines.taken}: a field is longer than {limit} characters",
                Problem.FIELD_TOO_LONG,
                line=lines.taken,
                limit=limit,
            ) from None
        raise SubscriberError(
            f"line {lines.taken}: {exc}", Problem.MALFORMED, line=lines.taken
        ) from None


def _groups(cell: str) -> frozenset[str]:
    names = frozenset(" ".join(name.split()) for name in cell.split(";") if name.strip())
    for name in names:
        if len(name) > GROUP_MAX:
            raise SubscriberError(
                f"a group name is longer than {GROUP_MAX} characters",
                Problem.GROUP_TOO_LONG,
                limit=GROUP_MAX,
            )
    return names


def check_csv(
    text: str, *, default_region: str, languages: Sequence[str] = LANGUAGES
) -> tuple[list[ImportRow], ImportReport]:
    """Read and check every row without touching the database; raises SubscriberError for a
    file that cannot be read at all (no header, a field over csv's size limit)."""
    rows: list[ImportRow] = []
    report = ImportReport()
    first_line: dict[str, int] = {}
    for line, record in _records(text):
        report.lines += 1
        try:
            phone, region, language = checked_details(
                phone=record.get("phone", ""),
                region=record.get("region", ""),
                language=record.get("language") or None,
                default_region=default_region,
                languages=languages,
            )
            groups = _groups(record.get("groups", ""))
            opted_in = record.get("opted_in", "").strip().lower()
            if opted_in not in OPTED_IN_WORDS and opted_in not in OPTED_OUT_WORDS:
                raise SubscriberError("opted_in must be yes or no", Problem.OPTED_IN_VALUE)
        except SubscriberError as exc:
            report.errors.append(RowIssue(line, exc.problem, str(exc), exc.params))
            continue
        if phone in first_line:
            report.errors.append(
                RowIssue(
                    line,
                    Problem.DUPLICATE,
                    f"the number is already on line {first_line[phone]}",
                    {"first": first_line[phone]},
                )
            )
            continue
        first_line[phone] = line
        if opted_in in OPTED_OUT_WORDS:
            report.skipped.append(
                RowIssue(line, Problem.MARKED_OPTED_OUT, "the file marks this number opted out")
            )
            continue
        rows.append(ImportRow(line, phone, region, fold_region(region), language, groups))
    return rows, report


def import_csv(
    session: Session,
    text: str,
    *,
    default_region: str,
    now: datetime,
    languages: Sequence[str] = LANGUAGES,
) -> ImportReport:
    """Check the whole file, then write it in this session's transaction, or write nothing
    (the report's `errors` say why). The caller commits."""
    rows, report = check_csv(text, default_region=default_region, languages=languages)
    if report.errors:
        return report
    _write(session, rows, report, now=now)
    return report


def _write(session: Session, rows: list[ImportRow], report: ImportReport, *, now: datetime) -> None:
    known = {
        phone: (sid, region, language, opted_in)
        for sid, phone, region, language, opted_in in session.execute(
            select(
                Subscriber.id,
                Subscriber.phone,
                Subscriber.region,
                Subscriber.language,
                Subscriber.opted_in,
            )
        )
    }
    members = {
        (sid, gid)
        for sid, gid in session.execute(select(GroupMember.subscriber_id, GroupMember.group_id))
    }
    group_ids = _group_ids(session, {name for row in rows for name in row.groups})
    new: list[dict[str, object]] = []
    changes: list[dict[str, object]] = []
    wanted: list[tuple[str, frozenset[str]]] = []
    for row in rows:
        found = known.get(row.phone)
        if found is None:
            new.append(
                {
                    "phone": row.phone,
                    "region": row.region,
                    "region_key": row.region_key,
                    "language": row.language,
                    "opted_in": True,
                    "consent_at": now,
                    "consent_channel": ConsentChannel.CSV.value,
                    "created_at": now,
                }
            )
            report.added += 1
            wanted.append((row.phone, row.groups))
            continue
        sid, region, language, opted_in = found
        if not opted_in:
            report.skipped.append(
                RowIssue(
                    row.line,
                    Problem.OPTED_OUT,
                    "the number's owner opted out; only their own keyword subscribes it again",
                )
            )
            continue
        joins = any((sid, group_ids[name]) not in members for name in row.groups)
        if (region, language) != (row.region, row.language):
            changes.append(
                {
                    "id": sid,
                    "region": row.region,
                    "region_key": row.region_key,
                    "language": row.language,
                }
            )
        if (region, language) != (row.region, row.language) or joins:
            report.updated += 1
            wanted.append((row.phone, row.groups))
        else:
            report.unchanged += 1
    # Core inserts on the tables: the ORM's bulk path takes seconds longer per 100,000 rows,
    # all of them with the write lock held.
    if new:
        session.execute(insert(Base.metadata.tables[Subscriber.__tablename__]), new)
    if changes:
        session.execute(update(Subscriber), changes)
    _add_members(session, wanted, group_ids, members)


def _group_ids(session: Session, names: set[str]) -> dict[str, int]:
    missing = sorted(names - _pairs(session, SubscriberGroup.name, SubscriberGroup.id).keys())
    if missing:
        session.execute(insert(SubscriberGroup), [{"name": name} for name in missing])
    ids = _pairs(session, SubscriberGroup.name, SubscriberGroup.id)
    return {name: ids[name] for name in names}


def _pairs(
    session: Session, key: InstrumentedAttribute[str], value: InstrumentedAttribute[int]
) -> dict[str, int]:
    return {k: v for k, v in session.execute(select(key, value))}


def _add_members(
    session: Session,
    wanted: list[tuple[str, frozenset[str]]],
    group_ids: dict[str, int],
    members: set[tuple[int, int]],
) -> None:
    if not any(groups for _phone, groups in wanted):
        return
    ids = _pairs(session, Subscriber.phone, Subscriber.id)
    pairs = {(ids[phone], group_ids[name]) for phone, groups in wanted for name in groups} - members
    if pairs:
        session.execute(
            insert(Base.metadata.tables[GroupMember.__tablename__]),
            [{"subscriber_id": sid, "group_id": gid} for sid, gid in sorted(pairs)],
        )


def export_csv(session: Session) -> str:
    """Every subscriber, opted out ones included (their opt-out travels with the file)."""
    groups: dict[int, list[str]] = {}
    rows = session.execute(
        select(GroupMember.subscriber_id, SubscriberGroup.name).join(
            SubscriberGroup, SubscriberGroup.id == GroupMember.group_id
        )
    )
    for subscriber_id, name in rows:
        groups.setdefault(subscriber_id, []).append(name)
    return csv_text(
        CSV_COLUMNS,
        (
            [
                subscriber.phone,
                subscriber.region,
                subscriber.language,
                ";".join(sorted(groups.get(subscriber.id, []))),
                "yes" if subscriber.opted_in else "no",
                subscriber.consent_at.isoformat() if subscriber.consent_at else "",
                subscriber.consent_channel,
            ]
            for subscriber in session.scalars(select(Subscriber).order_by(Subscriber.id))
        ),
    )
