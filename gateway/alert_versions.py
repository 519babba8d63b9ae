"""An alert's versions in the region's other languages: checked, stored, fanned out, aired.

The alert's own text (and recording) is its default version, in Spanish. A version adds a
language: a text, sent by SMS to the subscribers who speak it, and/or a recording, aired after
the main one. Many of the region's languages have no text-to-speech and no written standard,
so a version may be only a recording (its speakers then get the Spanish SMS), and a text-only
version airs only when espeak-ng has a voice for its language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.models import Recording
from gateway.alert_models import Alert, AlertVersion
from gateway.plain_text import plain_text
from gateway.settings import Settings
from sms.compose import ComposeError, Composition, compose
from sms.languages import DEFAULT_LANGUAGE, ESPEAK_VOICES

MAX_VERSIONS = 20
"""More languages than a region speaks; an alert's air time grows with each."""


@dataclass(frozen=True)
class VersionRequest:
    language: str
    text: str = ""
    recording_id: int | None = None


def parse_versions(
    value: object, *, max_chars: int, error: type[ValueError]
) -> list[VersionRequest]:
    """The `versions` of an alert request as asked, or `error` naming what is wrong; the
    languages are checked against the station's by `check_versions`, which has its settings."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise error("'versions' must be a list of {language, text?, recording_id?}")
    if len(value) > MAX_VERSIONS:
        raise error(f"an alert has at most {MAX_VERSIONS} versions")
    versions = []
    for item in value:
        language = item.get("language")
        if not isinstance(language, str) or not language.strip():
            raise error("every version needs a 'language'")
        text = item.get("text") or ""
        if not isinstance(text, str):
            raise error(f"the {language} version's 'text' must be a string")
        if text.strip():
            text = plain_text(
                text, what=f"the {language} version's text", max_chars=max_chars,
                multiline=True, error=error,
            )  # fmt: skip
        recording = item.get("recording_id")
        if recording is not None and (
            not isinstance(recording, int) or isinstance(recording, bool)
        ):
            raise error(f"the {language} version's 'recording_id' must be an integer")
        if not text.strip() and recording is None:
            raise error(f"the {language} version needs a text, a recording or both")
        versions.append(VersionRequest(language.strip().lower(), text.strip(), recording))
    return versions


def check_languages(
    versions: Sequence[VersionRequest], served: Sequence[str], *, error: type[ValueError]
) -> None:
    """Refuse, with `error`, a language the station does not serve, Spanish (the main text is
    that version), or the same language twice: cheap, so checked before any upload is
    imported."""
    seen: set[str] = set()
    for version in versions:
        if version.language not in served:
            raise error(
                f"{version.language!r} is not a language of this station "
                f"(station.languages: {', '.join(served)})"
            )
        if version.language == DEFAULT_LANGUAGE:
            raise error(f"the alert's main text is its {DEFAULT_LANGUAGE!r} version")
        if version.language in seen:
            raise error(f"two versions in {version.language!r}")
        seen.add(version.language)


def check_versions(
    session: Session,
    versions: Sequence[VersionRequest],
    *,
    settings: Settings,
    smart: bool | None,
    error: type[ValueError],
) -> dict[str, Composition]:
    """Refuse, with `error`, a version the station cannot carry (see `check_languages`, and a
    recording that does not exist, a text too long for SMS); the SMS of each version's text
    otherwise."""
    check_languages(versions, settings.station.languages, error=error)
    composed: dict[str, Composition] = {}
    for version in versions:
        if version.recording_id is not None and (
            session.get(Recording, version.recording_id) is None
        ):
            raise error(f"there is no recording {version.recording_id}")
        if version.text:
            try:
                composed[version.language] = compose(
                    version.text, settings=settings.smpp, smart=smart
                )
            except ComposeError as exc:
                raise error(f"the {version.language} version: {exc}") from None
    return composed


def store_versions(session: Session, alert: Alert, versions: Sequence[VersionRequest]) -> None:
    for position, version in enumerate(versions):
        session.add(
            AlertVersion(
                alert_id=alert.id,
                position=position,
                language=version.language,
                text=version.text,
                recording_id=version.recording_id,
            )
        )
    session.flush()


def versions_of(session: Session, alert_id: int) -> list[AlertVersion]:
    return list(
        session.scalars(
            select(AlertVersion)
            .where(AlertVersion.alert_id == alert_id)
            .order_by(AlertVersion.position, AlertVersion.id)
        )
    )


def texts_by_language(session: Session, alert: Alert) -> dict[str, str]:
    """The SMS text for each language that has one; any other language gets the main text."""
    return {
        version.language: version.text for version in versions_of(session, alert.id) if version.text
    }


def version_summaries(session: Session, alert: Alert) -> list[dict[str, Any]]:
    """The versions as the API and the alert page show them, in order."""
    return [
        {"language": v.language, "text": v.text or None, "recording_id": v.recording_id}
        for v in versions_of(session, alert.id)
    ]


def air_versions(session: Session, alert: Alert) -> list[dict[str, Any]]:
    """The versions as the playout worker's preempt command carries them, in order, each with
    the espeak-ng voice for its text (None: it airs only as a recording)."""
    return [
        {**summary, "voice": ESPEAK_VOICES.get(summary["language"])}
        for summary in version_summaries(session, alert)
    ]
