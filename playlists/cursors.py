"""Rotation positions kept in the database, so a restarted playout worker goes on where the
killed one was instead of starting every playlist over.

A cursor is saved when an item *starts* (not when it is chosen): what was chosen but never
aired, such as the item preloaded two seconds before a crash, is chosen again afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from playlists.models import PlayoutCursor
from playlists.rotation import RotationState

KEEP_AFTER_EXPIRY = timedelta(days=1)
"""A finished slot's cursor is kept this long (for the record), then deleted."""


def cursor_payload(version: tuple[object, ...], state: RotationState) -> dict[str, Any]:
    """What is stored: the state and the playlist version it belongs to."""
    return {"version": repr(version), "state": state.to_json()}


def load_state(session: Session, key: str, version: tuple[object, ...]) -> RotationState | None:
    """The stored state of rotation `key`, unless the playlist changed since it was saved."""
    row = session.get(PlayoutCursor, key)
    if row is None or not isinstance(row.state, dict):
        return None
    if row.state.get("version") != repr(version):
        return None
    stored = row.state.get("state")
    return RotationState.from_json(stored) if isinstance(stored, dict) else None


def save(
    session: Session,
    key: str,
    payload: dict[str, Any],
    *,
    expires_at: datetime | None,
    now: datetime,
) -> None:
    row = session.get(PlayoutCursor, key)
    if row is None:
        session.add(PlayoutCursor(key=key, state=payload, expires_at=expires_at, updated_at=now))
    else:
        row.state = payload
        row.expires_at = expires_at
        row.updated_at = now
    session.execute(delete(PlayoutCursor).where(PlayoutCursor.expires_at < now - KEEP_AFTER_EXPIRY))
