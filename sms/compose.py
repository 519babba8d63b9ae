"""A text made into the SMS segments that go to the SMSC, and what that costs per recipient.

GSM-7 whenever every character fits (after smart encoding, when it is on), UCS-2 otherwise;
concatenation headers when one segment is not enough, up to the configured maximum so a
pasted essay does not cost the station forty SMS per phone. The split itself lives in
`sms.segments`; the panel's live counter (`preview`) uses the very same plan, so what the
operator sees while typing is what is sent.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from gateway.plain_text import has_visible, plain_text
from gateway.settings import SmppSettings
from sms import gsm7
from sms.segments import (
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    Segment,
    gsm7_segments,
    split_gsm7,
    split_ucs2,
    ucs2_segments,
)
from sms.smart_encoding import Replacement, kept, summary, transliterate

__all__ = ["ComposeError", "Composition", "Segment", "compose", "preview", "typed_text"]

MAX_TYPED_CHARS = 10_000
"""Only a bound on the work: the segment limit refuses a typed text long before this."""


class ComposeError(ValueError):
    """A text that cannot be sent as asked: empty, not encodable, or over the segment limit
    (then `segments` it would take and the `limit`, for words in the reader's language)."""

    def __init__(self, message: str, *, segments: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.segments = segments
        self.limit = limit


@dataclass(frozen=True)
class Composition:
    """What is sent for one text to one recipient."""

    encoding: str
    """"gsm7" or "ucs2"."""
    text: str
    """What is actually sent, after smart encoding."""
    replacements: list[Replacement]
    segments: tuple[Segment, ...]
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text."""
    per_segment: int
    """160/153 (GSM-7) or 70/67 (UCS-2): units one segment holds, with or without a header."""
    chunks: tuple[str, ...] = field(default=())
    """The text each segment carries, in order."""
    kept: tuple[str, ...] = field(default=())
    """Characters smart encoding would have replaced but `smpp.keep_characters` protects."""

    @property
    def summary(self) -> str:
        """What smart encoding did, in one line for the operator; empty if nothing."""
        return summary(self.replacements, list(self.kept))


@dataclass(frozen=True)
class _Plan:
    encoding: str
    text: str
    replacements: list[Replacement]
    gsm7_chunks: list[bytes]
    ucs2_chunks: list[str]
    units: int
    kept: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.gsm7_chunks) if self.encoding == "gsm7" else len(self.ucs2_chunks)

    @property
    def per_segment(self) -> int:
        if self.encoding == "gsm7":
            return GSM7_SINGLE if self.count <= 1 else GSM7_PART
        return UCS2_SINGLE if self.count <= 1 else UCS2_PART

    def chunk_texts(self) -> tuple[str, ...]:
        if self.encoding == "gsm7":
            return tuple(gsm7.decode(chunk) for chunk in self.gsm7_chunks)
        return tuple(self.ucs2_chunks)

    def last_units(self) -> int:
        if self.encoding == "gsm7":
            return len(self.gsm7_chunks[-1])
        return len(self.ucs2_chunks[-1].encode("utf-16-be")) // 2


def default_reference(text: str) -> int:
    """A concatenation reference derived from the text: the same text always gets the same
    one, different texts almost always different ones, so two long messages arriving at one
    phone at the same time are not stitched into each other."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) & 0xFF


def _plan(text: str, *, settings: SmppSettings, smart: bool | None) -> _Plan:
    """Encoding and split, without the segment limit (the preview shows what is over it).
    Smart encoding is kept only when it makes the text GSM-7: if an emoji forces UCS-2
    anyway, the original accents cost nothing more and are sent as typed."""
    if not text.strip():
        raise ComposeError("the message is empty")
    if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        raise ComposeError("the message contains an invalid character (a lone surrogate)")
    use_smart = settings.smart_encoding if smart is None else smart
    protected: tuple[str, ...] = ()
    if use_smart:
        keep = settings.kept_characters
        smart_text, replacements = transliterate(text, keep=keep)
        if gsm7.fits(smart_text):
            text_to_send = smart_text
        else:
            text_to_send, replacements = text, []
            protected = tuple(kept(text, keep))
    else:
        text_to_send, replacements = text, []
    if not has_visible(text_to_send):
        raise ComposeError(
            "the message has nothing visible to send (only invisible characters or accents "
            "without a letter, which smart encoding deletes)"
        )
    if gsm7.fits(text_to_send):
        chunks = split_gsm7(text_to_send, packed=settings.gsm7_packed)
        units = sum(len(chunk) for chunk in chunks)
        return _Plan("gsm7", text_to_send, replacements, chunks, [], units)
    parts = split_ucs2(text_to_send)
    units = len(text_to_send.encode("utf-16-be")) // 2
    return _Plan("ucs2", text_to_send, replacements, [], parts, units, protected)


def typed_text(text: str) -> str:
    """A message as a person typed it, checked like all typed text (line breaks allowed, no
    other control or direction-changing character). `compose` itself takes any text GSM-7 or
    UCS-2 can carry, since the station's own replies are composed too."""
    return plain_text(
        text, what="the message", max_chars=MAX_TYPED_CHARS, multiline=True, error=ComposeError
    )


def compose(
    text: str,
    *,
    settings: SmppSettings,
    smart: bool | None = None,
    reference: int | None = None,
) -> Composition:
    """The segments for `text`. `smart=None` follows `settings.smart_encoding`; `reference`
    (its low 8 bits) numbers the concatenation, derived from the text when None."""
    plan = _plan(text, settings=settings, smart=smart)
    if plan.count > settings.max_segments:
        raise ComposeError(
            _too_long(plan, settings.max_segments),
            segments=plan.count,
            limit=settings.max_segments,
        )
    ref = default_reference(plan.text) if reference is None else reference
    if plan.encoding == "gsm7":
        segments = gsm7_segments(
            plan.gsm7_chunks,
            reference=ref,
            data_coding=settings.gsm7_data_coding,
            packed=settings.gsm7_packed,
        )
    else:
        segments = ucs2_segments(plan.ucs2_chunks, reference=ref)
    return Composition(
        encoding=plan.encoding,
        text=plan.text,
        replacements=plan.replacements,
        segments=segments,
        units=plan.units,
        per_segment=plan.per_segment,
        chunks=plan.chunk_texts(),
        kept=plan.kept,
    )


def preview(text: str, *, settings: SmppSettings, smart: bool | None = None) -> dict[str, Any]:
    """What the panel shows while a message is typed, JSON-ready: encoding, characters and
    units, segments per recipient, units left in the current segment, what smart encoding
    changed, and `error` (None, or why it cannot be sent as it stands)."""
    if not text.strip():
        return {
            "encoding": "gsm7",
            "characters": len(text),
            "units": 0,
            "segments": 0,
            "per_segment": GSM7_SINGLE,
            "remaining": GSM7_SINGLE,
            "replacements": [],
            "kept": [],
            "text": text,
            "error": None,
        }
    try:
        plan = _plan(text, settings=settings, smart=smart)
    except ComposeError as exc:
        return {
            "encoding": "ucs2",
            "characters": len(text),
            "units": 0,
            "segments": 0,
            "per_segment": UCS2_SINGLE,
            "remaining": UCS2_SINGLE,
            "replacements": [],
            "kept": [],
            "text": text,
            "error": str(exc),
        }
    try:
        typed_text(text)
        refused = None
    except ComposeError as exc:
        refused = str(exc)
    return {
        "encoding": plan.encoding,
        "characters": len(plan.text),
        "units": plan.units,
        "segments": plan.count,
        "per_segment": plan.per_segment,
        "remaining": max(0, plan.per_segment - plan.last_units()),
        "replacements": [
            {"original": r.original, "replacement": r.replacement, "count": r.count}
            for r in plan.replacements
        ],
        "kept": list(plan.kept),
        "text": plan.text,
        "error": refused
        or (_too_long(plan, settings.max_segments) if plan.count > settings.max_segments else None),
    }


def _too_long(plan: _Plan, limit: int) -> str:
    kind = "GSM-7 septets" if plan.encoding == "gsm7" else "UCS-2 characters"
    return (
        f"the message would take {plan.count} SMS segments ({plan.units} {kind}); "
        f"the limit is {limit} (smpp.max_segments)"
    )
