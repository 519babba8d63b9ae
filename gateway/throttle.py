"""Login throttling: attempts counted before the password is checked, per address and account.

Counted in the database rather than in memory so that the limit holds across the web server's
threads and processes and survives a restart; an attacker cannot reset it by crashing us.

Keys, chosen so that a lockout hurts the attacker and not the people the station relies on:
- per (address, typed name), `max_failures`: one address guessing one account. A colleague
  behind the same shared address (a station's one internet line) who mistypes or guesses
  never locks anybody else out; unknown names are treated exactly like known ones, so a 429
  says nothing about which names exist.
- per typed name from every address, `account_max_failures` (higher): guessing one account
  from many addresses. Addresses from which the account has logged in before (its owner's
  usual places, taken from the audit log) are exempt, so a botnet can lock strangers out of an
  account but not its owner; an attacker sharing that address still meets the first limit.

An attempt is written and committed before the password is checked, then the attempts in the
window are counted: attempt number k in commit order sees at least k rows, so however many run
at once, no more than the limit get a password check. Refused attempts are deleted again (a
locked-out address that keeps trying does not raise the account's count); failed ones stay;
a success forgives that address's attempts on that account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.audit import AuditEntry
from gateway.database import Base, UTCDateTime

TRUSTED_ADDRESS_DAYS = 90


class LoginFailure(Base):
    """A login attempt: pending while its password is checked, a failure once it fails."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    account_max_failures: int
    window: timedelta


def _key(username: str) -> str:
    return username.lower()[:64]


def has_logged_in_from(session: Session, *, user_id: int, address: str, now: datetime) -> bool:
    """Whether this account logged in successfully from this address in the last few months."""
    since = now - timedelta(days=TRUSTED_ADDRESS_DAYS)
    query = select(AuditEntry.id).where(
        AuditEntry.action == "login",
        AuditEntry.actor_id == user_id,
        AuditEntry.address == address[:64],
        AuditEntry.at > since,
    )
    return session.scalar(query.limit(1)) is not None


def claim_attempt(
    session: Session,
    *,
    username: str,
    address: str,
    policy: ThrottlePolicy,
    now: datetime,
    trusted_address: bool = False,
) -> LoginFailure | None:
    """Count this attempt (committing the session); None if it is over a limit."""
    attempt = LoginFailure(username=_key(username), address=address[:64], at=now)
    session.add(attempt)
    session.commit()
    recent = select(func.count(LoginFailure.id)).where(
        LoginFailure.username == attempt.username, LoginFailure.at > now - policy.window
    )
    by_pair = session.scalar(recent.where(LoginFailure.address == attempt.address)) or 0
    by_account = 0 if trusted_address else session.scalar(recent) or 0
    if by_pair <= policy.max_failures and by_account <= policy.account_max_failures:
        return attempt
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.id))
    session.commit()
    return None


def forgive(session: Session, attempt: LoginFailure) -> None:
    """A successful login clears this address's attempts on the account (not other addresses')."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == attempt.username, LoginFailure.address == attempt.address
        )
    )


def prune(session: Session, *, policy: ThrottlePolicy, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - policy.window))
