"""`altavoz doctor`: one line per dependency, so an operator sees at once what is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway import migrate
from gateway.database import Database
from gateway.folders import write_problem
from gateway.settings import Settings


class Outcome(StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: Outcome
    detail: str


Check = Callable[[Settings, Database], CheckResult]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    CHECKS.append(function)
    return function


@check
def database_check(settings: Settings, database: Database) -> CheckResult:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = migrate.current_revision(database), migrate.head_revision(database)
    except SQLAlchemyError as exc:
        return CheckResult("database", Outcome.FAIL, f"cannot connect: {exc.__class__.__name__}")
    if current != head:
        return CheckResult(
            "database", Outcome.FAIL, f"schema at {current}, code expects {head}: run altavoz init"
        )
    return CheckResult("database", Outcome.OK, f"{database.engine.dialect.name}, revision {head}")


@check
def ffmpeg_check(settings: Settings, database: Database) -> CheckResult:
    path = shutil.which("ffmpeg")
    if path is None:
        return CheckResult("ffmpeg", Outcome.FAIL, "ffmpeg not found on PATH (apt install ffmpeg)")
    result = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=20)
    first = result.stdout.splitlines()[0] if result.stdout else "no version output"
    outcome = Outcome.OK if result.returncode == 0 else Outcome.FAIL
    return CheckResult("ffmpeg", outcome, first)


@check
def libvlc_check(settings: Settings, database: Database) -> CheckResult:
    try:
        import vlc

        instance = vlc.Instance("--quiet", "--no-video")
        if instance is None:
            return CheckResult("libvlc", Outcome.FAIL, "libVLC did not start (plugins missing?)")
        instance.release()
        version = vlc.libvlc_get_version().decode()
    except (OSError, NameError, AttributeError) as exc:
        return CheckResult(
            "libvlc", Outcome.FAIL, f"libVLC not usable: {exc} (apt install libvlc5)"
        )
    return CheckResult("libvlc", Outcome.OK, f"libVLC {version}")


@check
def icecast_check(settings: Settings, database: Database) -> CheckResult:
    url = f"{settings.stream.icecast_url}/status-json.xsl"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            status = json.loads(response.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return CheckResult("icecast", Outcome.FAIL, f"cannot reach {url}: {exc}")
    server = status.get("icestats", {}).get("server_id", "Icecast")
    return CheckResult("icecast", Outcome.OK, f"{server} at {settings.stream.icecast_url}")


@check
def smsc_check(settings: Settings, database: Database) -> CheckResult:
    if not settings.smpp.enabled:
        return CheckResult("smsc", Outcome.SKIP, "SMPP disabled (smpp.enabled = false)")
    from sms.link_settings import link_settings
    from sms.link_wire import LinkError, probe

    where = f"{settings.smpp.host}:{settings.smpp.port} as {settings.smpp.system_id}"
    try:
        probe(link_settings(settings.smpp))
    except LinkError as exc:
        return CheckResult("smsc", Outcome.FAIL, f"cannot bind to {where}: {exc}")
    mode = settings.smpp.bind_mode
    return CheckResult("smsc", Outcome.OK, f"bound and unbound {mode} at {where}")


@check
def models_check(settings: Settings, database: Database) -> CheckResult:
    """A transcription worker without a model for the station's language fails every message."""
    from audio.vosk_models import list_models

    folder = settings.transcription.models_dir
    models = list_models(folder)
    broken = [m.lang for m in models if m.problem]
    if broken:
        return CheckResult("models", Outcome.FAIL, f"damaged Vosk models: {', '.join(broken)}")
    languages = sorted(m.lang for m in models)
    default = settings.transcription.default_language
    if default not in languages:
        return CheckResult(
            "models",
            Outcome.FAIL,
            f"no Vosk model for the default language {default!r} in {folder} "
            f"(altavoz models add ZIP --lang {default})",
        )
    return CheckResult("models", Outcome.OK, f"Vosk models for {', '.join(languages)}")


@check
def inbox_check(settings: Settings, database: Database) -> CheckResult:
    """Voice messages dropped in an inbox the workers cannot write to are never taken in."""
    inbox = settings.media.inbox
    problem = write_problem(inbox)
    if problem is not None:
        return CheckResult("inbox", Outcome.FAIL, problem)
    return CheckResult("inbox", Outcome.OK, f"{inbox} is writable")


def run_checks(settings: Settings, database: Database) -> Iterator[CheckResult]:
    for function in CHECKS:
        try:
            yield function(settings, database)
        except Exception as exc:  # a check that crashes is itself a failure to report
            yield CheckResult(function.__name__.removesuffix("_check"), Outcome.FAIL, repr(exc))
