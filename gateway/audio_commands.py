"""`altavoz audio import FILE...`: the same import as the panel and the API, from a shell.

Each file is imported on its own: a bad one gets one line on stderr and leaves nothing behind,
the good ones are still imported, and the command exits non-zero if any file was refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from audio import library
from audio.errors import AudioError
from audio.metadata import KINDS, MetadataError, parse_metadata, title_from_filename
from audio.storage import MediaStore
from gateway import migrate
from gateway.cli_support import app_database, app_settings, cli_actor, fail


@click.group("audio")
def audio_group() -> None:
    """The audio library."""


@audio_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kind", default="testimony", show_default=True, help=" | ".join(KINDS))
@click.option("--title", default=None, help="title for every file (default: its file name)")
@click.option("--language", default="", help="language code, e.g. es")
@click.option("--speaker", default="", help="who speaks")
@click.option("--consent/--no-consent", default=False, help="consent to broadcast on record")
@click.option("--tag", "tags", multiple=True, help="a tag (repeat for several)")
@with_appcontext
def audio_import(
    files: tuple[Path, ...],
    kind: str,
    title: str | None,
    language: str,
    speaker: str,
    consent: bool,
    tags: tuple[str, ...],
) -> None:
    """Normalise audio files and add them to the library; prints id, duration and loudness."""
    try:
        parse_metadata(title=title or "-", kind=kind, language=language, speaker=speaker, tags=tags)
    except MetadataError as exc:
        fail(str(exc), 2)
    settings = app_settings()
    database = app_database()
    migrate.upgrade(database)
    store = MediaStore(settings.media.dir)
    actor = cli_actor()
    refused = 0
    for path in files:
        shown = click.format_filename(path)
        if not path.is_file():
            click.echo(f"altavoz: {shown}: no such file", err=True)
            refused += 1
            continue
        metadata = parse_metadata(
            title=title or title_from_filename(os.fsencode(path.name)),
            kind=kind,
            language=language,
            speaker=speaker,
            consent=consent,
            tags=tags,
        )
        try:
            with database.session() as session:
                recording = library.import_recording(
                    session, path, metadata, media=settings.media, store=store, actor=actor
                )
        except AudioError as exc:
            click.echo(f"altavoz: {shown}: {exc}", err=True)
            refused += 1
            continue
        click.echo(
            f"{recording.id}\t{recording.duration_s:.1f} s\t"
            f"{recording.loudness_lufs:.1f} LUFS\t{shown}"
        )
    if refused:
        raise SystemExit(1)
