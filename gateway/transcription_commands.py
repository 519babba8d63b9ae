"""`altavoz transcribe FILE|--retry ID|--retry-failed` and `altavoz models add|list`.

Offline Vosk from a shell: transcribe a file and print the text, or queue failed voice
messages again for the transcription workers (after `altavoz models add`, say).

Models are only ever installed from a folder or zip the operator brings; nothing is
downloaded. Every refusal (a file that is not audio, an unknown language code, no model for
the language, a folder that is not a Vosk model) is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from audio import transcription_retry
from audio.errors import AudioError
from audio.languages import LanguageError, parse_language
from audio.models import VoiceMessage
from audio.probe import probe
from audio.transcriber import Transcriber, TranscriptionError
from audio.vosk_models import ModelError, add_model, list_models, model_path
from gateway import migrate
from gateway.cli_support import app_database, app_settings, cli_actor, fail


@click.command("transcribe")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option(
    "--lang", default=None, help="language code (default: transcription.default_language)"
)
@click.option("--json", "as_json", is_flag=True, help="print the transcript with word timings")
@click.option("--retry", "retry_id", type=int, default=None, help="queue this failed message again")
@click.option("--retry-failed", is_flag=True, help="queue every failed voice message again")
@with_appcontext
def transcribe_command(
    file: Path | None, lang: str | None, as_json: bool, retry_id: int | None, retry_failed: bool
) -> None:
    """Transcribe one audio file offline and print the text, or retry failed voice messages."""
    asked = sum([file is not None, retry_id is not None, retry_failed])
    if asked != 1:
        fail("give one of: FILE, --retry ID, --retry-failed", 2)
    if retry_id is not None or retry_failed:
        _retry(retry_id)
        return
    assert file is not None
    settings = app_settings()
    shown = click.format_filename(file)
    try:
        language = parse_language(lang or settings.transcription.default_language)
        folder = model_path(language, settings.transcription.models_dir)
    except (LanguageError, ModelError) as exc:
        fail(str(exc), 2)
    if not file.is_file():
        fail(f"{shown}: no such file", 2)
    try:
        probe(file, max_duration_s=settings.media.max_duration_s)
        transcript = Transcriber(folder).transcribe(
            file, max_duration_s=settings.media.max_duration_s
        )
    except (AudioError, TranscriptionError) as exc:
        fail(f"{shown}: {exc}")
    except ModelError as exc:
        fail(str(exc))
    if as_json:
        document = {"file": str(file), "language": language, **transcript.as_json()}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(transcript.text)


def _retry(message_id: int | None) -> None:
    """Queue one failed message (`message_id`) or all of them again; print what was queued."""
    database = app_database()
    migrate.upgrade(database)
    with database.session() as session:
        if message_id is None:
            queued = transcription_retry.retry_failed(session, actor=cli_actor())
        else:
            message = session.get(VoiceMessage, message_id)
            if message is None:
                fail(f"there is no voice message {message_id}", 2)
            try:
                transcription_retry.retry(session, message, actor=cli_actor())
            except transcription_retry.NotFailed as exc:
                fail(str(exc))
            queued = [message_id]
    if not queued:
        click.echo("no failed voice messages to retry")
    for queued_id in queued:
        click.echo(f"voice message {queued_id} queued for transcription again")


@click.group("models")
def models_group() -> None:
    """Vosk speech models, installed offline (one per language)."""


@models_group.command("add")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--lang", required=True, help="language code the model is for, e.g. es")
@with_appcontext
def models_add(source: Path, lang: str) -> None:
    """Install a Vosk model folder or its zip as published (e.g. vosk-model-small-es-0.42.zip)."""
    models_dir = app_settings().transcription.models_dir
    try:
        model = add_model(source, lang=lang, models_dir=models_dir)
    except (LanguageError, ModelError) as exc:
        fail(str(exc), 2)
    except OSError as exc:
        fail(f"cannot install into {models_dir}: {exc.strerror or exc}")
    click.echo(
        f"installed {model.source} for language '{model.lang}' in {model.path} "
        f"({model.size_bytes / 1e6:.0f} MB)"
    )


@models_group.command("list")
@with_appcontext
def models_list() -> None:
    """Show the installed models."""
    models_dir = app_settings().transcription.models_dir
    models = list_models(models_dir)
    if not models:
        click.echo(
            f"no Vosk models installed in {models_dir} "
            "(install one with: altavoz models add PATH_OR_ZIP --lang CODE)"
        )
        return
    for model in models:
        state = "ok" if model.problem is None else f"damaged: {model.problem}"
        click.echo(f"{model.lang}\t{model.source or '-'}\t{model.size_bytes / 1e6:.0f} MB\t{state}")
