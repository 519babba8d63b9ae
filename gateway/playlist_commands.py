"""`altavoz playlist list|show|create|set|delete`: the panel's playlist work, from a shell.

Items are given with `--item ID`, repeated, in the order they are to play. A refusal is one
line on stderr: status 2 for input that cannot be used (an unknown playlist or recording, a
bad name), 1 for a playlist still needed by a coming slot or as the fallback.
"""

from __future__ import annotations

from dataclasses import replace

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from audio.models import Recording
from gateway import audit, migrate
from gateway.cli_support import app_database, cli_actor, fail
from gateway.database import utcnow
from playlists.models import Playlist, PlaylistMode
from playlists.playlist_edit import (
    PlaylistInUse,
    delete_playlist,
    get_playlist,
    replace_playlist,
    rules_of,
)
from playlists.timetable import PlaylistRules, TimetableError, create_playlist

MODES = click.Choice([mode.value for mode in PlaylistMode])


@click.group("playlist")
def playlist_group() -> None:
    """Playlists: what a slot or the fallback plays, in order."""


@playlist_group.command("list")
@with_appcontext
def playlist_list() -> None:
    """One line per playlist: id, items, mode, name (the fallback marked *)."""
    database = app_database()
    migrate.upgrade(database)
    with database.session(write=False) as session:
        for playlist in session.scalars(select(Playlist).order_by(Playlist.name, Playlist.id)):
            mark = "*" if playlist.is_fallback else " "
            click.echo(
                f"{playlist.id:>5}{mark} {len(playlist.items):>4} items  "
                f"{playlist.mode:<8} {playlist.name}"
            )


@playlist_group.command("show")
@click.argument("playlist_id", type=int)
@with_appcontext
def playlist_show(playlist_id: int) -> None:
    """The playlist's items in playing order: position, recording id, length, title."""
    database = app_database()
    migrate.upgrade(database)
    try:
        with database.session(write=False) as session:
            playlist = get_playlist(session, playlist_id)
            ids = [item.recording_id for item in playlist.items]
            titles = {
                r.id: (r.title, r.duration_s)
                for r in session.scalars(select(Recording).where(Recording.id.in_(ids)))
            }
            fallback = " (fallback)" if playlist.is_fallback else ""
            click.echo(f"{playlist.name} · {playlist.mode}{fallback}")
            for position, recording_id in enumerate(ids, start=1):
                title, seconds = titles.get(recording_id, ("?", 0.0))
                minutes, rest = divmod(round(seconds), 60)
                click.echo(f"{position:>4}. {recording_id:>5}  {minutes:>3}:{rest:02d}  {title}")
    except TimetableError as exc:
        fail(str(exc), 2)


@playlist_group.command("create")
@click.argument("name")
@click.option("--item", "items", type=int, multiple=True, help="a recording id (repeat, in order)")
@click.option("--mode", type=MODES, default=PlaylistMode.ORDERED.value, show_default=True)
@with_appcontext
def playlist_create(name: str, items: tuple[int, ...], mode: str) -> None:
    """Make a playlist of library recordings; prints its id."""
    database = app_database()
    migrate.upgrade(database)
    try:
        with database.session() as session:
            playlist = create_playlist(
                session, name=name, recording_ids=list(items), rules=PlaylistRules(mode=mode)
            )
            audit.record_by(
                session, cli_actor(), action="playlist.create", target=f"playlist {playlist.id}"
            )
            click.echo(playlist.id)
    except TimetableError as exc:
        fail(str(exc), 2)


@playlist_group.command("set")
@click.argument("playlist_id", type=int)
@click.option("--item", "items", type=int, multiple=True, help="the new items, in order")
@click.option("--name", default=None, help="a new name")
@click.option("--mode", type=MODES, default=None)
@with_appcontext
def playlist_set(
    playlist_id: int, items: tuple[int, ...], name: str | None, mode: str | None
) -> None:
    """Change a playlist: --item (repeated) replaces every item; what is not given stays."""
    if not items and name is None and mode is None:
        fail("nothing to change: give --item, --name or --mode", 2)
    database = app_database()
    migrate.upgrade(database)
    try:
        with database.session() as session:
            rules = None
            if mode is not None:
                rules = replace(rules_of(get_playlist(session, playlist_id)), mode=mode)
            playlist = replace_playlist(
                session,
                playlist_id,
                name=name,
                recording_ids=list(items) if items else None,
                rules=rules,
            )
            audit.record_by(
                session, cli_actor(), action="playlist.edit", target=f"playlist {playlist_id}"
            )
            click.echo(f"playlist {playlist_id}: {playlist.name}, {len(playlist.items)} items")
    except TimetableError as exc:
        fail(str(exc), 2)


@playlist_group.command("delete")
@click.argument("playlist_id", type=int)
@with_appcontext
def playlist_delete(playlist_id: int) -> None:
    """Delete a playlist that no coming slot airs and that is not the fallback."""
    database = app_database()
    migrate.upgrade(database)
    try:
        with database.session() as session:
            removed = delete_playlist(session, playlist_id, now=utcnow())
            audit.record_by(
                session,
                cli_actor(),
                action="playlist.delete",
                target=f"playlist {playlist_id}",
                details={"name": removed.name, "past_slots": removed.past_slot_ids},
            )
    except PlaylistInUse as exc:
        fail(str(exc), 1)
    except TimetableError as exc:
        fail(str(exc), 2)
    ended = f" and {len(removed.past_slot_ids)} ended slots" if removed.past_slot_ids else ""
    click.echo(f"deleted playlist {playlist_id} ({removed.name}, {removed.items} items{ended})")
