"""Login throttling: a bounded number of failed logins per account and per address.

Counted in the database rather than in memory so that the limit holds across the web server's
threads and processes and survives a restart; an attacker cannot reset it by crashing us.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.database import Base, UTCDateTime


class LoginFailure(Base):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta


def is_locked_out(
    session: Session, *, username: str, address: str, policy: ThrottlePolicy, now: datetime
) -> bool:
    since = now - policy.window
    by_user = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.username == username.lower(), LoginFailure.at > since
        )
    )
    by_address = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.address == address, LoginFailure.at > since
        )
    )
    return (by_user or 0) >= policy.max_failures or (by_address or 0) >= policy.max_failures


def record_failure(session: Session, *, username: str, address: str, now: datetime) -> None:
    session.add(LoginFailure(username=username.lower()[:64], address=address[:64], at=now))


def clear_failures(session: Session, *, username: str) -> None:
    """A successful login forgives the account's earlier failures (not the address's)."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username.lower()))


def prune(session: Session, *, policy: ThrottlePolicy, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - policy.window))
