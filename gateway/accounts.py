"""People and integrations: accounts with roles, argon2 passwords, and hashed API tokens.

Passwords are argon2id hashes; API tokens are long random strings shown once and stored only as
a SHA-256 digest (they carry enough entropy that a slow hash would add nothing but latency to
every API call). Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, false, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from gateway import audit, passwords
from gateway.codes import Refused
from gateway.database import Base, UTCDateTime, utcnow
from gateway.roles import Role

_hasher = PasswordHasher()
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
TOKEN_PREFIX = "avz_"


class AccountProblem(StrEnum):
    """Why an account request was refused: the panel words it (gateway/web/labels.py),
    `str(error)` stays the English of the API and the command line."""

    USER_NAME = "account.user_name"
    USER_EXISTS = "account.user_exists"
    LAST_ADMIN = "account.last_admin"
    OWNER_BARRED = "account.owner_barred"
    TOKEN_NAME = "account.token_name"
    TOKEN_ROLE = "account.token_role"
    TOKEN_EXPIRY = "account.token_expiry"
    WEAK_PASSWORD = "account.weak_password"
    TOKEN_REFUSED = "account.token_refused"


class AccountError(Refused):
    """A request about accounts that cannot be carried out, in words for the user; `problem`
    and `params` let the panel say it in the user's language."""


class WeakPasswordError(AccountError):
    """A password refused as too easy to guess; `weakness` says why, for any language."""

    def __init__(self, weakness: passwords.Weakness) -> None:
        super().__init__(
            f"password refused: {passwords.EXPLANATIONS[weakness]}", AccountProblem.WEAK_PASSWORD
        )
        self.weakness = weakness


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Bumped whenever the password changes or the account is disabled, so old sessions die.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    # Set while the password is one somebody else has seen (the first admin's, printed by
    # `altavoz init`): until the owner chooses a new one, the panel shows only that change.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    # The four members Flask-Login looks for, without importing Flask into the model.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"


class ApiToken(Base):
    """An integration's key. It belongs to an account (`created_by`, its owner) and acts with
    `effective_role`: never more than that account may do now."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    owner: Mapped[User | None] = relationship(User, lazy="joined")

    @property
    def role_enum(self) -> Role:
        """The role the token acts with now (see `effective_role`); only live tokens get here."""
        role = effective_role(Role(self.role), self.owner)
        if role is None:
            raise AccountError(
                "this token's owner may no longer use it", AccountProblem.OWNER_BARRED
            )
        return role


def effective_role(token_role: Role, owner: User | None) -> Role | None:
    """The lesser of the token's role and its owner's current role; None if there is none.

    Admin includes both other roles; operator and moderator share nothing, so an operator's
    account cannot hold a working moderator token (nor the reverse). A token whose owner is
    gone or disabled can do nothing.
    """
    if owner is None or not owner.active:
        return None
    owner_role = owner.role_enum
    if owner_role == Role.ADMIN or owner_role == token_role:
        return token_role
    if token_role == Role.ADMIN:
        return owner_role
    return None


@dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log."""

    id: int | None
    name: str
    address: str = ""


SYSTEM = Actor(id=None, name="system")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str, *, username: str = "") -> None:
    """Refuse a guessable password wherever one is set (panel, command line, first admin)."""
    reason = passwords.weakness(password, personal=[username])
    if reason is not None:
        raise WeakPasswordError(reason)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active account with this name and password, or None.

    Always verifies exactly one argon2 hash (a throwaway one for an unknown name), so that an
    unknown or disabled name takes as long to refuse as a wrong password: the time of the
    answer must not tell an attacker which names exist.
    """
    user = find_user(session, username)
    try:
        matches: bool = _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        matches = False
    if user is None or not user.active or not matches:
        return None
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def create_user(
    session: Session, *, username: str, password: str, role: Role, actor: Actor = SYSTEM
) -> User:
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            "a user name has 2-64 letters, digits or . _ @ - and starts with a letter or digit",
            AccountProblem.USER_NAME,
        )
    check_password_strength(password, username=username)
    if find_user(session, username) is not None:
        raise AccountError(
            f"a user named {username!r} already exists", AccountProblem.USER_EXISTS, name=username
        )
    user = User(username=username, password_hash=hash_password(password), role=role.value)
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="user.create",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=username,
        details={"role": role.value},
    )
    return user


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    actor: Actor = SYSTEM,
    must_change: bool = False,
) -> None:
    """Set a new password, ending the account's sessions; `must_change` for a temporary one."""
    check_password_strength(password, username=user.username)
    user.password_hash = hash_password(password)
    user.session_generation += 1
    user.must_change_password = must_change
    audit.record(
        session,
        action="user.password",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=user.username,
    )


def update_user(
    session: Session, user: User, *, role: Role, active: bool, actor: Actor = SYSTEM
) -> None:
    """Change role or enabled state; refuses to leave the station without an active admin."""
    removes_admin = user.role == Role.ADMIN and (role != Role.ADMIN or not active)
    if removes_admin and count_active_admins(session) <= 1:
        raise AccountError(
            "the last active admin cannot be demoted or disabled", AccountProblem.LAST_ADMIN
        )
    changes: dict[str, list[object]] = {}
    if user.role != role.value:
        changes["role"] = [user.role, role.value]
    if user.active != active:
        changes["active"] = [user.active, active]
        user.session_generation += 1
    if not changes:
        return
    user.role = role.value
    user.active = active
    audit.record(
        session,
        action="user.update",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=user.username,
        details=changes,
    )


def count_active_admins(session: Session) -> int:
    query = select(func.count(User.id)).where(User.role == Role.ADMIN.value, User.active)
    return int(session.scalar(query) or 0)


def ensure_first_admin(session: Session, *, username: str = "admin") -> str | None:
    """Create the first admin if the station has none; return its one-time password.

    The account must choose its own password at its first login (see must_change_password).
    """
    if count_active_admins(session) > 0:
        return None
    password = secrets.token_urlsafe(12)
    admin = find_user(session, username)
    if admin is not None:
        admin.role = Role.ADMIN.value
        admin.active = True
        set_password(session, admin, password)
    else:
        admin = create_user(session, username=username, password=password, role=Role.ADMIN)
    # Printed on a terminal and perhaps in a log: only good for the first login.
    admin.must_change_password = True
    return password


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    owner: User,
    role: Role = Role.OPERATOR,
    expires_at: datetime | None = None,
    actor: Actor = SYSTEM,
) -> tuple[ApiToken, str]:
    """Create a token for `owner`; the clear text is returned here once and never stored.

    Refused when the owner could not use it: a token never does more than its account.
    """
    name = name.strip()
    if not name or len(name) > 80:
        raise AccountError("a token needs a name of 1-80 characters", AccountProblem.TOKEN_NAME)
    if effective_role(role, owner) != role:
        raise AccountError(
            f"the account {owner.username!r} ({owner.role}, "
            f"{'active' if owner.active else 'disabled'}) cannot own a {role.value} token",
            AccountProblem.TOKEN_ROLE,
            name=owner.username,
            role=role.value,
        )
    if expires_at is not None and expires_at <= utcnow():
        raise AccountError("a token's expiry must lie in the future", AccountProblem.TOKEN_EXPIRY)
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role.value,
        digest=_digest(clear),
        display_prefix=clear[: len(TOKEN_PREFIX) + 6],
        created_by=owner.id,
        owner=owner,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        action="token.create",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=name,
        details={
            "role": role.value,
            "token_id": token.id,
            "owner": owner.username,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, clear


def oldest_active_admin(session: Session) -> User | None:
    """Who owns a token made at the shell without naming an owner."""
    query = select(User).where(User.role == Role.ADMIN.value, User.active).order_by(User.id)
    return session.scalars(query.limit(1)).first()


def revoke_token(session: Session, token: ApiToken, *, actor: Actor = SYSTEM) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    audit.record(
        session,
        action="token.revoke",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=token.name,
        details={"token_id": token.id},
    )


class TokenRefused(AccountError):
    """A genuine token that may not be used now; the message says why (to its holder only)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, AccountProblem.TOKEN_REFUSED)


def authenticate_token(
    session: Session, clear: str, *, now: datetime | None = None
) -> ApiToken | None:
    """The live token matching this clear text, or None; compares digests in constant time.

    Raises TokenRefused for a real token that has expired or whose owner may no longer use it
    (disabled, or moved to a role that does not include the token's).
    """
    if not clear.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(clear)
    token = session.scalar(select(ApiToken).where(ApiToken.digest == digest))
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    if token.revoked_at is not None:
        return None
    now = now or utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused(f"the API token expired at {token.expires_at.isoformat()}")
    if effective_role(Role(token.role), token.owner) is None:
        raise TokenRefused("the API token's owner account is disabled or no longer has its role")
    token.last_used_at = now
    return token
