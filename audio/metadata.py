"""What people say about a recording: title, kind, language, speaker, consent, tags.

Checked here, once, for the panel, the API and the command line alike, so all three refuse the
same things with the same sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from audio.models import RecordingKind
from gateway.codes import Refused
from gateway.plain_text import BIDI_CONTROLS, plain_text

TITLE_MAX = 200
SPEAKER_MAX = 120
TAG_MAX = 40
TAGS_MAX = 20
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
KINDS = tuple(kind.value for kind in RecordingKind)
_YES = {"1", "true", "yes", "on", "si", "sí", "y"}
_NO = {"", "0", "false", "no", "off", "n"}


class MetadataProblem(StrEnum):
    """Why a recording's field was refused: the panel words it (gateway/web/labels.py),
    `str(error)` stays the English of the API and the command line."""

    KIND = "metadata.kind"
    LANGUAGE = "metadata.language"
    CONSENT = "metadata.consent"
    TAGS = "metadata.tags"
    TAG_TOO_LONG = "metadata.tag_too_long"
    TOO_MANY_TAGS = "metadata.too_many_tags"


class MetadataError(Refused):
    """A field that cannot be accepted; the message names it, `problem` and `params` let the
    panel say it in the operator's language.
    Text refused by plain_text gets a TextProblem instead of None."""


@dataclass(frozen=True)
class RecordingMetadata:
    title: str
    kind: RecordingKind
    language: str = ""
    speaker: str = ""
    consent: bool = False
    tags: tuple[str, ...] = ()


def clean_text(value: str) -> str:
    """Text the station derives rather than a person types (a file's name, a transcript):
    control characters become spaces; stray surrogates from undecodable bytes and
    direction-changing characters are dropped; spaces are squashed."""
    kept = "".join(
        " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char
        for char in value
        if unicodedata.category(char) != "Cs" and ord(char) not in BIDI_CONTROLS
    )
    return " ".join(unicodedata.normalize("NFC", kept).split())


def parse_kind(value: str | None) -> RecordingKind:
    try:
        return RecordingKind((value or "").strip().lower())
    except ValueError:
        raise MetadataError(
            f"kind must be one of: {', '.join(KINDS)}", MetadataProblem.KIND
        ) from None


def parse_language(value: str | None) -> str:
    code = (value or "").strip().lower().replace("_", "-")
    if code and not LANGUAGE.match(code):
        raise MetadataError(
            f"language {value!r} is not a language code such as 'es' or 'mam'",
            MetadataProblem.LANGUAGE,
            language=value or "",
        )
    return code


def parse_consent(value: str | bool | None) -> bool:
    if isinstance(value, bool):
        return value
    answer = (value or "").strip().lower()
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    raise MetadataError("consent must be yes or no", MetadataProblem.CONSENT)


def parse_tags(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Tags from 'a, b' or a list; duplicates (ignoring case) kept once, in order."""
    raw = (value or "").split(",") if isinstance(value, str) or value is None else list(value)
    tags: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise MetadataError("tags must be text", MetadataProblem.TAGS)
        tag = clean_text(item)
        if not tag or tag.casefold() in {t.casefold() for t in tags}:
            continue
        if len(tag) > TAG_MAX:
            raise MetadataError(
                f"tag {tag[:20]!r}… is longer than {TAG_MAX} characters",
                MetadataProblem.TAG_TOO_LONG,
                tag=tag[:20],
                limit=TAG_MAX,
            )
        tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise MetadataError(
            f"at most {TAGS_MAX} tags", MetadataProblem.TOO_MANY_TAGS, limit=TAGS_MAX
        )
    return tuple(tags)


def parse_title(value: str | None) -> str:
    return plain_text(value or "", what="title", max_chars=TITLE_MAX, error=MetadataError)


def parse_metadata(
    *,
    title: str | None,
    kind: str | None,
    language: str | None = None,
    speaker: str | None = None,
    consent: str | bool | None = None,
    tags: str | Iterable[str] | None = None,
) -> RecordingMetadata:
    """Validated metadata, or MetadataError naming the first field that is wrong."""
    name = plain_text(
        speaker or "", what="speaker", max_chars=SPEAKER_MAX, required=False, error=MetadataError
    )
    return RecordingMetadata(
        title=parse_title(title),
        kind=parse_kind(kind),
        language=parse_language(language),
        speaker=name,
        consent=parse_consent(consent),
        tags=parse_tags(tags),
    )


def title_from_filename(name: str | bytes | None, *, fallback: str = "Recording") -> str:
    """A readable title from what the sender called the file; never used as a path."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", errors="replace")
    base = re.split(r"[\\/]", name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    title = clean_text(stem.replace("_", " ")).strip(". ")
    return title[:TITLE_MAX] or fallback
