"""Words for the values stored in the database (roles, states, reasons), in the panel's language."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

LABELS: dict[str, LazyString] = {
    "admin": _l("admin"),
    "operator": _l("operator"),
    "moderator": _l("moderator"),
    "schedule": _l("schedule"),
    "fallback": _l("fallback"),
    "alert": _l("alert"),
    "playing": _l("playing"),
    "played": _l("played"),
    "cut": _l("cut"),
    "interrupted": _l("interrupted"),
    "skipped": _l("skipped"),
    "queued": _l("queued"),
    "transcribing": _l("transcribing"),
    "transcribed": _l("transcribed"),
    "failed": _l("failed"),
    "pending": _l("pending"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "testimony": _l("testimony"),
    "jingle": _l("jingle"),
    "station-id": _l("station ID"),
    "submitted": _l("submitted"),
    "delivered": _l("delivered"),
    "sending": _l("sending"),
    "completed": _l("completed"),
    "ordered": _l("ordered"),
    "shuffle": _l("shuffle"),
    "expired": _l("expired"),
    "draft": _l("draft: awaiting approval"),
    "cancelled": _l("cancelled"),
    "corrected": _l("corrected"),
    "withdrawn": _l("withdrawn"),
    "cancel": _l("cancellation"),
    "correction": _l("correction"),
    "api": _l("API"),
    "inbox": _l("telephone inbox"),
    "upload": _l("upload"),
    "panel": _l("panel"),
    "sms": _l("SMS"),
    "csv": _l("CSV import"),
    "outage": _l("outage"),
    "off_air": _l("off the air"),
    "on air": _l("on air"),
    "silence": _l("silence: nothing to air"),
    "reconnecting": _l("reconnecting to Icecast"),
    "standby": _l("on standby"),
    "idle": _l("idle"),
    "starting": _l("starting"),
    "monitor": _l("air monitor"),
    "playout": _l("playout"),
    "transcribe": _l("transcription"),
    "bound": _l("bound"),
    "binding": _l("binding"),
    "unbinding": _l("unbinding"),
    "disconnected": _l("disconnected"),
    "dead_air": _l("dead air"),
    "silent": _l("silent"),
    "unreachable": _l("unreachable"),
    "sms_off": _l("SMS cannot go out: SMPP is disabled in the configuration"),
    "no_sms_worker": _l("SMS cannot go out: no SMS worker is running"),
}

TROUBLE = frozenset({"silence", "reconnecting"})
"""Worker states that mean listeners hear nothing: shown as a fault, not as green."""


def label(value: str) -> str | LazyString:
    return LABELS.get(value, value)
