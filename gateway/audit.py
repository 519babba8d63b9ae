"""The audit log: who did what, kept for admins and, if it comes to it, for accountability."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.database import Base, UTCDateTime, utcnow
from sms.phones import mask

if TYPE_CHECKING:
    from gateway.accounts import Actor


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    *,
    action: str,
    actor_id: int | None = None,
    actor_name: str = "system",
    target: str = "",
    address: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the session; it is written with the change it describes, or not at all."""
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        actor_name=actor_name,
        target=target,
        address=address,
        details=details or {},
        at=utcnow(),
    )
    session.add(entry)
    return entry


def record_by(
    session: Session,
    actor: Actor,
    *,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """An entry for what this person (or API token) did."""
    return record(
        session,
        action=action,
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=target,
        details=details,
    )


def record_subscriber(
    session: Session, actor: Actor, *, action: str, phone: str, details: dict[str, Any]
) -> AuditEntry:
    """An entry about one subscriber, whichever way the change came in: the number is masked,
    since the log is read by more people than may see the subscriber list."""
    return record_by(session, actor, action=action, target=mask(phone), details=details)


def recent(session: Session, *, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))
