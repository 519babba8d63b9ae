"""Words for the values stored in the database (roles, states, reasons, details, channels,
kinds), in the panel's language: the one place a stored code becomes something to read.

Audit log actions are identifiers worded here too (the identifier stays visible to admins).
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
    "alert.approve": _l("alert approved"),
    "alert.cancel": _l("alert cancelled"),
    "alert.correct": _l("alert corrected"),
    "alert.draft": _l("alert drafted"),
    "alert.reject": _l("alert rejected"),
    "alert.send": _l("alert sent"),
    "login": _l("signed in"),
    "login.failed": _l("failed sign-in"),
    "login.locked": _l("sign-in locked out"),
    "logout": _l("signed out"),
    "playlist.create": _l("playlist created"),
    "playlist.delete": _l("playlist deleted"),
    "playlist.edit": _l("playlist edited"),
    "playlist.fallback": _l("fallback playlist chosen"),
    "playlist.import": _l("playlist imported"),
    "recording.add": _l("recording added"),
    "recording.delete": _l("recording deleted"),
    "recording.edit": _l("recording edited"),
    "schedule.add": _l("slot added"),
    "schedule.delete": _l("slot removed"),
    "subscriber.add": _l("subscriber added"),
    "subscriber.export": _l("subscribers exported"),
    "subscriber.import": _l("subscribers imported"),
    "subscriber.import_failed": _l("subscriber import refused"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "user.create": _l("account created"),
    "user.password": _l("password changed"),
    "user.update": _l("account changed"),
    "voice.approved": _l("voice message approved"),
    "voice.rejected": _l("voice message rejected"),
    "voice.pending": _l("voice message back to pending"),
    "voice.correct": _l("transcript corrected"),
    "voice.listen_original": _l("original voice listened to"),
    "voice.not_sensitive": _l("voice message marked not sensitive"),
    "voice.sensitive": _l("voice message marked sensitive"),
    "voice.protect": _l("voice protected"),
    "voice.purge": _l("voice messages purged"),
    "voice.receive": _l("voice message received"),
    "voice.reveal_caller": _l("caller's number revealed"),
    "voice.to_library": _l("voice message added to the library"),
    "voice.withdraw_from_library": _l("voice message withdrawn from the library"),
    "link.refused": _l("the SMSC at %(where)s refused %(command)s: %(refusal)s"),
    "link.no_answer": _l("no answer from the SMSC at %(where)s to %(command)s"),
    "link.unreachable": _l("cannot reach the SMSC at %(where)s (%(command)s)"),
    "link.connection_lost": _l("the connection to the SMSC was lost"),
    "link.broken_pdu": _l("the SMSC sent a broken PDU"),
    "link.unbound": _l("the SMSC closed the session (unbind)"),
    "link.nack": _l("the SMSC answered generic_nack (status %(status)s)"),
    "link.send_failed": _l("sending %(what)s to the SMSC failed"),
    "link.no_keepalive": _l("no answer to enquire_link in time: the SMSC or the network is gone"),
    "link.stopped": _l("the link has stopped"),
    "link.unbind_unanswered": _l("the SMSC did not answer unbind"),
    "text.surrogate": _l("the text contains an invalid character"),
    "text.control": _l("the text contains a control character (%(char)s)"),
    "text.direction": _l(
        "the text contains a character that changes the reading direction (%(char)s)"
    ),
    "text.invisible": _l("the text has only invisible characters (or accents without a letter)"),
    "text.empty": _l("the text is empty"),
    "text.too_long": _l("the text is longer than %(limit)s characters"),
    "account.user_name": _l(
        "a user name has 2-64 letters, digits or . _ @ - and starts with a letter or digit"
    ),
    "account.user_exists": _l("a user named %(name)s already exists"),
    "account.last_admin": _l("the last active admin cannot be demoted or disabled"),
    "account.owner_barred": _l("this token's owner may no longer use it"),
    "account.token_name": _l("a token needs a name of 1-80 characters"),
    "account.token_role": _l("the account %(name)s cannot own a token with this role"),
    "account.token_expiry": _l("a token's expiry must lie in the future"),
    "account.weak_password": _l("the password is too easy to guess"),
    "account.token_refused": _l("this API token may not be used now"),
    "timetable.too_many_items": _l("a playlist holds at most %(limit)s items"),
    "timetable.mode": _l("the order must be as listed or shuffled"),
    "timetable.negative_rules": _l("jingle and repeat rules cannot be negative"),
    "timetable.no_recordings": _l("there are no recordings numbered %(ids)s"),
    "timetable.content": _l("choose either a playlist or a recording"),
    "timetable.offset": _l("the time needs its offset from UTC"),
    "timetable.zone": _l("%(zone)s is not a known time zone"),
    "timetable.length": _l("a slot lasts more than nothing and at most 24 hours"),
    "timetable.rule": _l("the repetition rule (RRULE) cannot be used"),
    "timetable.no_playlist": _l("there is no playlist %(id)s"),
    "timetable.no_recording": _l("there is no recording %(id)s"),
    "playlist_file.declarations": _l("XSPF files with DOCTYPE or ENTITY declarations are refused"),
    "playlist_file.not_xml": _l("the file is not valid XML (line %(line)s)"),
    "playlist_file.not_xspf": _l("the file is not an XSPF playlist"),
    "metadata.kind": _l("the kind is not one the library knows"),
    "metadata.language": _l("%(language)s is not a language code such as es or mam"),
    "metadata.consent": _l("consent must be yes or no"),
    "metadata.tags": _l("tags must be text"),
    "metadata.tag_too_long": _l("the tag %(tag)s is longer than %(limit)s characters"),
    "metadata.too_many_tags": _l("at most %(limit)s tags"),
    "moderation.transcript_too_long": _l("the transcript is longer than %(limit)s characters"),
    "moderation.audio_deleted": _l("the audio of this message was deleted; it cannot be broadcast"),
    "moderation.original_deleted": _l("the original audio of this message was deleted"),
    "moderation.original_missing": _l(
        "the original audio of this message is missing from the store"
    ),
    "moderation.protected_missing": _l(
        "the protected copy of this message is missing from the store"
    ),
    "moderation.not_approved": _l("only approved messages can be added to the library"),
    "moderation.in_library": _l("this message is already in the library as recording %(id)s"),
    "alert.text": _l("the alert needs a text"),
    "alert.regions": _l("the regions must be a list of names"),
    "alert.too_many_regions": _l("an alert goes to at most %(limit)s regions (* for every region)"),
    "alert.channels": _l("the channels can only be SMS and on air"),
    "alert.audio": _l("the recording must be given by its number"),
    "alert.sms_off": _l("SMS is off in the configuration; send the alert on air only"),
    "alert.no_region": _l("an SMS alert needs at least one region (* for every region)"),
    "alert.no_recording": _l("there is no recording %(id)s"),
    "alert.sms_text": _l("the text cannot be sent by SMS: it is empty or has nothing visible"),
    "alert.too_long_for_sms": _l(
        "the text would take %(segments)s SMS segments; the limit is %(limit)s"
    ),
    "alert.reason": _l("give a reason for the rejection (at most %(limit)s characters)"),
    "alert.not_a_draft": _l("Only a draft can be approved or rejected."),
    "alert.role": _l("Only an admin or an operator may approve or reject an alert."),
    "alert.no_account": _l("Approving needs an account."),
    "alert.own_draft": _l(
        "You drafted this alert: another admin or operator must approve or reject it."
    ),
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


def problem_text(exc: Exception) -> str:
    """Why a request was refused, in the reader's language. Domain errors carry a stable
    `problem` code and its `params` (as sms.subscribers.SubscriberError does) while `str(exc)`
    stays the English the API and the command line give; parameters are names and numbers,
    shown as given (a user named "admin" is not translated)."""
    problem = getattr(exc, "problem", None)
    words = LABELS.get(str(problem)) if problem is not None else None
    if words is None:
        return str(exc)
    try:
        return str(words) % _Parameters(getattr(exc, "params", {}))
    except (ValueError, TypeError):
        return str(exc)


class _Parameters(dict[str, str | int]):
    """A code's parameters for its words; one a row lacks (written by an older version)
    shows as "?" rather than as a format placeholder."""

    def __missing__(self, name: str) -> str:
        return "?"
