"""One executemany UPDATE of outbound segments by id, shared by the outbox (answers to
submits) and receipt matching (delivery receipts)."""

from __future__ import annotations

import functools
from typing import cast

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.orm import Session

from sms.models import OutboundSegment

SEGMENTS = cast(Table, OutboundSegment.__table__)


@functools.cache
def _update_statement() -> Update:
    """Built once: a statement made afresh costs more to prepare (cache key, coercions) than
    the UPDATE itself for a batch of ten rows. The SET clause follows the parameters' keys."""
    return update(SEGMENTS).where(SEGMENTS.c.id == bindparam("segment_id"))


def update_by_id(session: Session, rows: list[dict[str, object]]) -> None:
    """One executemany UPDATE of the columns the rows name (all rows name the same ones),
    keyed by "segment_id"; on the session's connection (Core), not through the ORM, which
    costs far more per statement and per row."""
    if rows:
        session.connection().execute(_update_statement(), rows)
