"""Who may do what: the three roles and what each one includes."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A person's role in the station.

    Admins manage people and see the audit log; operators run the air and the SMS relay;
    moderators listen to and approve voice messages, the most sensitive material we hold.
    """

    ADMIN = "admin"
    OPERATOR = "operator"
    MODERATOR = "moderator"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = ", ".join(role.value for role in cls)
            raise ValueError(f"unknown role {value!r} (choose one of: {choices})") from None


ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.OPERATOR})
MODERATION = frozenset({Role.ADMIN, Role.MODERATOR})
ADMIN_ONLY = frozenset({Role.ADMIN})
