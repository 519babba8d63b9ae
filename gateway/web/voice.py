"""Voice messages screen: listen, read along, correct, approve or reject, protect the voice.

Moderators and admins see every message and the original audio, and may reveal a caller's
number (shown masked until then; revealing it and listening to an original are audited).
Operators see approved messages only, with the number masked and only the protected copy to
listen to (or nothing): they may turn an approved message into a library recording. Who sees
what is decided once, in `gateway.visibility`, for this screen and the API alike. The view is
thin: the decisions live in `audio.moderation`, intake in `audio.voice_messages`.
"""

from __future__ import annotations

import shutil

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from audio import library, moderation, transcription_retry, voice_messages
from audio.errors import AudioError
from audio.ffmpeg import ToolMissing
from audio.languages import LanguageError
from audio.models import Moderation, TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import StorageError
from gateway import sensitive as sensitive_marking
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, MODERATION
from gateway.visibility import VoiceAccess, voice_access
from gateway.web.access import (
    current_actor,
    current_role,
    db_session,
    personal_data,
    requires,
    settings,
)
from gateway.web.forms import ConfirmForm
from gateway.web.labels import problem_text
from gateway.web.uploads import media_store, refusal_text
from gateway.web.withdrawal import withdrawn_lines
from sms.phones import mask

blueprint = Blueprint("voice", __name__, url_prefix="/voice")
LOW_CONFIDENCE = 0.6
"""Words Vosk was less sure of are underlined, so a moderator's eye goes to them first."""


class CorrectionForm(FlaskForm):
    transcript = TextAreaField(_l("Transcript"), validators=[Length(max=moderation.TRANSCRIPT_MAX)])


class RejectForm(FlaskForm):
    note = StringField(_l("Reason (optional, kept in the audit log)"), validators=[Length(max=500)])


class SensitiveForm(FlaskForm):
    sensitive = HiddenField()


class LibraryForm(FlaskForm):
    title = StringField(_l("Title (default: Voice message and its number)"), [Length(max=200)])
    consent = BooleanField(_l("The caller agreed to be broadcast"))


class UploadForm(FlaskForm):
    file = FileField(_l("Audio file"))
    caller = StringField(_l("Caller's number (optional)"), validators=[Length(max=64)])
    language = StringField(_l("Language code (e.g. es)"), validators=[Length(max=16)])


def _moderates() -> bool:
    return current_role() in MODERATION


def current_voice_access() -> VoiceAccess:
    return voice_access(current_role())


def message_or_404(message_id: int) -> VoiceMessage:
    """A message this person may not see answers 404, as if absent."""
    message = db_session().get(VoiceMessage, message_id)
    if message is None or not current_voice_access().sees(message):
        abort(404)
    return message


def _filters() -> moderation.Filters:
    args = request.args
    try:
        status = TranscriptionStatus(args["status"]) if args.get("status") else None
        decision = Moderation(args["moderation"]) if args.get("moderation") else None
    except ValueError:
        flash(_("Unknown filter value; showing every message."))
        status = decision = None
    return moderation.Filters(
        status=status, moderation=decision, within=current_voice_access().decisions
    )


def caller_shown(message: VoiceMessage) -> str:
    """Always masked on a page; the full number only through `reveal_caller`, audited."""
    return mask(message.caller) if message.caller else ""


def _index_page(form: UploadForm) -> str:
    filters = _filters()
    return render_template(
        "voice/index.html",
        messages=moderation.search(db_session(), filters),
        filters=filters,
        statuses=[status.value for status in TranscriptionStatus],
        decisions=[decision.value for decision in Moderation],
        moderates=_moderates(),
        caller_shown=caller_shown,
        form=form,
        page_size=moderation.PAGE_SIZE,
    )


@blueprint.get("/")
@requires(ALL_ROLES)
@personal_data
def index() -> ResponseReturnValue:
    form = UploadForm(formdata=None, data={"language": settings().transcription.default_language})
    return _index_page(form)


@blueprint.post("/upload")
@requires(ALL_ROLES)
@personal_data
def upload() -> ResponseReturnValue:
    form = UploadForm()
    received = request.files.get("file")
    if not form.validate_on_submit():
        form.file.errors = [*form.file.errors, _("The form has expired; reload and try again.")]
        return _index_page(form), 400
    if received is None or not received.filename:
        form.file.errors = [*form.file.errors, _("Choose an audio file.")]
        return _index_page(form), 400
    config = settings()
    store = media_store()
    work = store.scratch()
    db = db_session()
    try:
        saved = work / "upload"
        received.save(saved)
        message = voice_messages.receive(
            db,
            store,
            saved,
            caller=form.caller.data or "",
            language=form.language.data or config.transcription.default_language,
            channel=VoiceChannel.UPLOAD,
            received_at=utcnow(),
            media=config.media,
            default_region=config.smpp.default_region,
            actor=current_actor(),
        )
        db.commit()
    except (AudioError, LanguageError) as exc:
        db.rollback()
        form.file.errors = [*form.file.errors, refusal_text(exc, form.language.data or "")]
        return _index_page(form), 400
    finally:
        shutil.rmtree(work, ignore_errors=True)
    flash(_("Voice message %(id)d received; it is queued for transcription.", id=message.id))
    if _moderates():
        return redirect(url_for("voice.detail", message_id=message.id), code=303)
    return redirect(url_for("voice.index"), code=303)


def _words(message: VoiceMessage) -> list[dict[str, object]]:
    shown = []
    for item in message.words or []:
        try:
            start, end, conf = float(item["start"]), float(item["end"]), float(item["conf"])
        except (KeyError, TypeError, ValueError):
            continue
        low = conf < LOW_CONFIDENCE
        shown.append({"word": str(item.get("word", "")), "start": start, "end": end, "low": low})
    return shown


def _detail_page(
    message: VoiceMessage, correction: CorrectionForm | None = None, *, caller: str = ""
) -> str:
    access = current_voice_access()
    has_original = bool(message.original_path) and message.purged_at is None
    return render_template(
        "voice/detail.html",
        message=message,
        caller=caller or caller_shown(message),
        may_reveal=access.caller and bool(message.caller) and not caller,
        moderates=_moderates(),
        original_url=url_for("voice_audio.original", message_id=message.id)
        if access.original and has_original
        else None,
        protected_url=url_for("voice_audio.protected", message_id=message.id)
        if message.protected_path
        else None,
        words=_words(message),
        correction=correction or CorrectionForm(formdata=None, data={"transcript": message.text}),
        reject_form=RejectForm(formdata=None),
        sensitive_form=SensitiveForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        library_form=LibraryForm(formdata=None),
        recording=moderation.library_recording(db_session(), message),
    )


@blueprint.get("/<int:message_id>")
@requires(ALL_ROLES)
@personal_data
def detail(message_id: int) -> ResponseReturnValue:
    return _detail_page(message_or_404(message_id))


@blueprint.post("/<int:message_id>/caller")
@requires(MODERATION)
@personal_data
def reveal_caller(message_id: int) -> ResponseReturnValue:
    """The caller's full number on this one page, with an audit entry saying who saw it."""
    message = message_or_404(message_id)
    if not ConfirmForm().validate_on_submit():
        return _expired_form(message)
    if not current_voice_access().caller or not message.caller:
        abort(404)
    db = db_session()
    number = moderation.reveal_caller(db, message, actor=current_actor())
    db.commit()
    return _detail_page(message, caller=number)


def _back(message: VoiceMessage) -> ResponseReturnValue:
    return redirect(url_for("voice.detail", message_id=message.id), code=303)


def _expired_form(message: VoiceMessage) -> ResponseReturnValue:
    flash(_("The form has expired; reload the page and try again."))
    return _detail_page(message), 400


@blueprint.post("/<int:message_id>/transcript")
@requires(MODERATION)
@personal_data
def correct(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _detail_page(message, form), 400
    db = db_session()
    try:
        changed = moderation.correct_transcript(
            db, message, form.transcript.data or "", actor=current_actor()
        )
    except moderation.ModerationError as exc:
        form.transcript.errors = [*form.transcript.errors, problem_text(exc)]
        return _detail_page(message, form), 400
    db.commit()
    flash(_("Transcript saved.") if changed else _("Nothing changed."))
    return _back(message)


@blueprint.post("/<int:message_id>/retry")
@requires(MODERATION)
@personal_data
def retry(message_id: int) -> ResponseReturnValue:
    """Queue a failed transcription again, e.g. once the language's model is installed."""
    message = message_or_404(message_id)
    if not ConfirmForm().validate_on_submit():
        return _expired_form(message)
    db = db_session()
    try:
        transcription_retry.retry(db, message, actor=current_actor())
    except transcription_retry.NotFailed:
        flash(_("Only a message whose transcription failed can be retried."))
        return _back(message)
    db.commit()
    flash(_("Voice message %(id)d is queued for transcription again.", id=message.id))
    return _back(message)


@blueprint.post("/<int:message_id>/approve")
@requires(MODERATION)
@personal_data
def approve(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    if not ConfirmForm().validate_on_submit():
        return _expired_form(message)
    db = db_session()
    try:
        moderation.approve(db, message, actor=current_actor())
    except moderation.ModerationError as exc:
        flash(problem_text(exc))
        return _back(message)
    db.commit()
    flash(_("Approved for broadcast."))
    return _back(message)


@blueprint.post("/<int:message_id>/reject")
@requires(MODERATION)
@personal_data
def reject(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _expired_form(message)
    db = db_session()
    moderation.reject(db, message, actor=current_actor(), note=form.note.data or "")
    db.commit()
    days = settings().media.retention_rejected_days
    if days:
        flash(_("Rejected. The original audio will be deleted after %(days)d days.", days=days))
    else:
        flash(_("Rejected."))
    return _back(message)


@blueprint.post("/<int:message_id>/sensitive")
@requires(MODERATION)
@personal_data
def sensitive(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    form = SensitiveForm()
    if not form.validate_on_submit():
        return _expired_form(message)
    mark = form.sensitive.data == "1"
    db = db_session()
    if not mark:
        moderation.set_sensitive(db, message, False, actor=current_actor())
        db.commit()
        flash(_("No longer marked as sensitive."))
        return _back(message)
    withdrawal = sensitive_marking.mark_sensitive(db, message, now=utcnow(), actor=current_actor())
    db.commit()
    flash(_("Marked as sensitive."))
    if withdrawal is not None:
        library.remove_files(media_store(), withdrawal.files)
        for line in withdrawn_lines(withdrawal):
            flash(line)
    return _back(message)


@blueprint.post("/<int:message_id>/protect")
@requires(MODERATION)
@personal_data
def protect(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    if not ConfirmForm().validate_on_submit():
        return _expired_form(message)
    db = db_session()
    try:
        moderation.protect_voice(db, message, store=media_store(), actor=current_actor())
    except (moderation.ModerationError, AudioError, ToolMissing, StorageError) as exc:
        db.rollback()
        flash(_("The voice could not be protected: %(reason)s", reason=problem_text(exc)))
        return _back(message)
    db.commit()
    flash(_("A protected copy with a disguised voice was made."))
    return _back(message)


@blueprint.post("/<int:message_id>/library")
@requires(ALL_ROLES)
@personal_data
def to_library(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    form = LibraryForm()
    if not form.validate_on_submit():
        return _expired_form(message)
    db = db_session()
    try:
        recording = moderation.add_to_library(
            db,
            message,
            store=media_store(),
            media=settings().media,
            actor=current_actor(),
            title=form.title.data or "",
            consent=bool(form.consent.data),
        )
    except (moderation.ModerationError, AudioError, ToolMissing, StorageError) as exc:
        db.rollback()
        flash(_("Not added to the library: %(reason)s", reason=problem_text(exc)))
        return _back(message)
    db.commit()
    flash(_("Added to the library."))
    return redirect(url_for("library.detail", recording_id=recording.id), code=303)
