"""Words for the values stored in the database (roles, states, reasons, details, channels,
kinds), in the panel's language: the one place a stored code becomes something to read.

Values are codes, some with parameters (gateway/codes.py); tests/gateway/test_one_language.py
checks that every code the code can store has its words here.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from gateway.codes import PARTS, decode

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
    "sent": _l("sent"),
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
    "stopped": _l("stopped"),
    "listening": _l("listening to the stream"),
    "sound": _l("sound"),
    "dead_air_for": _l("%(heard)s for %(seconds)s s"),
    "connecting": _l("connecting"),
    "smpp_disabled": _l("SMPP is disabled in the configuration"),
    "smpp_link": _l("SMPP: %(link)s"),
    "transcribing_message": _l("transcribing voice message %(message)s"),
    "transcribing_progress": _l("transcribing voice message %(message)s (%(seconds)s s done)"),
    "no_model": _l(
        "no speech recognition model is installed for the language %(language)s; install one "
        "and retry"
    ),
    "bad_model": _l("the speech recognition model for %(language)s cannot be used"),
    "bad_language": _l("%(language)s is not a language code"),
    "unreadable": _l("the audio could not be decoded or holds no sound"),
    "file_missing": _l("the audio file is missing from the media folder"),
    "interrupted_times": _l("the transcription was interrupted %(times)s times"),
    "submitting": _l("submitting"),
    "ok": _l("sound"),
    "cut_at": _l("cut at the end of its time"),
    "slot_start": _l("cut: a slot began"),
    "preempted": _l("interrupted by an alert"),
    "cut_now": _l("cut by hand"),
    "late": _l("started %(seconds)s s late"),
    "nothing_to_air": _l("nothing to air"),
    "worker_stopped": _l("the playout worker stopped"),
    "worker_restarted": _l("the playout worker was restarted"),
    "skipped_by_monitor": _l("skipped by the air monitor after %(seconds)s s of silence"),
    "no_file": _l("no such file: %(path)s"),
    "unparsable": _l("libVLC could not parse the file (%(status)s)"),
    "no_audio_track": _l("no decodable audio track"),
    "restarted_by_monitor": _l("the air monitor restarted the source: %(heard)s for %(seconds)s s"),
    "stream_heard": _l("stream %(heard)s"),
    "dead_air_over": _l("sound came back after %(seconds)s s"),
    "staff_told": _l("SMS queued to %(queued)s of %(numbers)s staff numbers"),
    "no_staff": _l("no staff numbers to tell (monitor.staff_numbers)"),
    "staff_not_sent": _l("the staff SMS could not be composed (see the log)"),
    "air": _l("on air"),
    "sms_off": _l("SMS cannot go out: SMPP is disabled in the configuration"),
    "no_sms_worker": _l("SMS cannot go out: no SMS worker is running"),
}

LANGUAGE_NAMES: dict[str, LazyString] = {
    "es": _l("Spanish"),
    "en": _l("English"),
    "quc": _l("K'iche'"),
    "mam": _l("Mam"),
    "kek": _l("Q'eqchi'"),
    "nah": _l("Nahuatl"),
    "nhe": _l("Nahuatl of the Huasteca"),
    "zap": _l("Zapotec"),
    "mix": _l("Mixtec"),
    "cak": _l("Kaqchikel"),
    "tzj": _l("Tz'utujil"),
    "tzo": _l("Tzotzil"),
    "tzh": _l("Tzeltal"),
}
"""Languages by their ISO 639 code (sms/languages.py); a code not here shows as itself."""


def language_name(code: str) -> str:
    """A subscriber's or a version's language, named in the panel's language, with its code."""
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name is not None else code


def language_choices(codes: list[str]) -> list[tuple[str, str]]:
    """A select's choices for the station's languages (`station.languages`)."""
    return [(code, language_name(code)) for code in codes]


TROUBLE = frozenset({"silence", "reconnecting"})
"""Worker states that mean listeners hear nothing: shown as a fault, not as green."""


def label(value: str) -> str:
    """The words for a stored value: a code, a code with parameters (themselves worded when
    they are codes too), or several joined by "; ". Free text (a libVLC error, a name) is
    shown as it is."""
    if PARTS in value:
        return PARTS.join(label(part) for part in value.split(PARTS))
    code, params = decode(value)
    words = LABELS.get(code)
    if words is None:
        return value
    try:
        return str(words) % _Parameters({name: label(given) for name, given in params.items()})
    except (ValueError, TypeError):
        return value


class _Parameters(dict[str, str]):
    """A code's parameters for its words; one a row lacks (written by an older version)
    shows as "?" rather than as a format placeholder."""

    def __missing__(self, name: str) -> str:
        return "?"
