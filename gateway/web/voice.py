"""Voice messages screen: listen, read along, correct, approve or reject, protect the voice.

Moderators and admins see everything: the caller's number, the original audio and every
message. Operators see approved messages only, with the number masked and only the protected
copy to listen to (or nothing): they may turn an approved message into a library recording.
The view is thin: the decisions live in `audio.moderation`, intake in `audio.voice_messages`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from audio import listening, moderation, voice_messages
from audio.errors import AudioError
from audio.ffmpeg import ToolMissing
from audio.languages import LanguageError
from audio.models import Moderation, TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import StorageError
from audio.voice_protection import PROTECTED_MEDIA_TYPE
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, MODERATION
from gateway.web.access import current_actor, current_role, db_session, requires, settings
from gateway.web.forms import ConfirmForm
from gateway.web.uploads import media_store
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


def _message_or_404(message_id: int) -> VoiceMessage:
    """Operators only ever learn of approved messages: others answer 404, as if absent."""
    message = db_session().get(VoiceMessage, message_id)
    if message is None or (not _moderates() and message.moderation != Moderation.APPROVED):
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
    if not _moderates():
        decision = Moderation.APPROVED
    return moderation.Filters(status=status, moderation=decision)


def caller_shown(message: VoiceMessage) -> str:
    if not message.caller:
        return ""
    return message.caller if _moderates() else mask(message.caller)


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
def index() -> ResponseReturnValue:
    form = UploadForm(formdata=None, data={"language": settings().transcription.default_language})
    return _index_page(form)


@blueprint.post("/upload")
@requires(ALL_ROLES)
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
        form.file.errors = [*form.file.errors, str(exc)]
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


def _detail_page(message: VoiceMessage, correction: CorrectionForm | None = None) -> str:
    moderates = _moderates()
    has_original = bool(message.original_path) and message.purged_at is None
    return render_template(
        "voice/detail.html",
        message=message,
        caller=caller_shown(message),
        moderates=moderates,
        original_url=url_for("voice.original", message_id=message.id)
        if moderates and has_original
        else None,
        protected_url=url_for("voice.protected", message_id=message.id)
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
def detail(message_id: int) -> ResponseReturnValue:
    return _detail_page(_message_or_404(message_id))


def _back(message: VoiceMessage) -> ResponseReturnValue:
    return redirect(url_for("voice.detail", message_id=message.id), code=303)


def _expired_form(message: VoiceMessage) -> ResponseReturnValue:
    flash(_("The form has expired; reload the page and try again."))
    return _detail_page(message), 400


@blueprint.post("/<int:message_id>/transcript")
@requires(MODERATION)
def correct(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _detail_page(message, form), 400
    db = db_session()
    try:
        changed = moderation.correct_transcript(
            db, message, form.transcript.data or "", actor=current_actor()
        )
    except moderation.ModerationError as exc:
        form.transcript.errors = [*form.transcript.errors, str(exc)]
        return _detail_page(message, form), 400
    db.commit()
    flash(_("Transcript saved.") if changed else _("Nothing changed."))
    return _back(message)


@blueprint.post("/<int:message_id>/approve")
@requires(MODERATION)
def approve(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
    if not ConfirmForm().validate_on_submit():
        return _expired_form(message)
    db = db_session()
    try:
        moderation.approve(db, message, actor=current_actor())
    except moderation.ModerationError as exc:
        flash(str(exc))
        return _back(message)
    db.commit()
    flash(_("Approved for broadcast."))
    return _back(message)


@blueprint.post("/<int:message_id>/reject")
@requires(MODERATION)
def reject(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
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
def sensitive(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
    form = SensitiveForm()
    if not form.validate_on_submit():
        return _expired_form(message)
    mark = form.sensitive.data == "1"
    db = db_session()
    moderation.set_sensitive(db, message, mark, actor=current_actor())
    db.commit()
    flash(_("Marked as sensitive.") if mark else _("No longer marked as sensitive."))
    return _back(message)


@blueprint.post("/<int:message_id>/protect")
@requires(MODERATION)
def protect(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
    if not ConfirmForm().validate_on_submit():
        return _expired_form(message)
    db = db_session()
    try:
        moderation.protect_voice(db, message, store=media_store(), actor=current_actor())
    except (moderation.ModerationError, AudioError, ToolMissing, StorageError) as exc:
        db.rollback()
        flash(_("The voice could not be protected: %(reason)s", reason=str(exc)))
        return _back(message)
    db.commit()
    flash(_("A protected copy with a disguised voice was made."))
    return _back(message)


@blueprint.post("/<int:message_id>/library")
@requires(ALL_ROLES)
def to_library(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
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
        flash(_("Not added to the library: %(reason)s", reason=str(exc)))
        return _back(message)
    db.commit()
    flash(_("Added to the library."))
    return redirect(url_for("library.detail", recording_id=recording.id), code=303)


def _send(path: Path, mimetype: str) -> Response:
    return send_file(path, mimetype=mimetype, conditional=True, max_age=0)


def _stored(relative: str) -> Path:
    try:
        path = media_store().path(relative)
    except StorageError:
        abort(404)
    if not path.is_file():
        abort(404)
    return path


@blueprint.get("/<int:message_id>/original")
@requires(MODERATION)
def original(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
    if message.purged_at is not None or not message.original_path:
        abort(404)
    path = _stored(message.original_path)
    playable = listening.browser_type(path)
    if playable is not None:
        response = _send(path, playable)
    else:
        work = media_store().scratch()
        try:
            copy = listening.listening_copy(
                path, work / f"listen{listening.LISTENING_SUFFIX}", duration_s=message.duration_s
            )
            response = send_file(copy, mimetype=listening.LISTENING_TYPE, max_age=0)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        response.call_on_close(lambda: shutil.rmtree(work, ignore_errors=True))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/<int:message_id>/protected")
@requires(ALL_ROLES)
def protected(message_id: int) -> ResponseReturnValue:
    message = _message_or_404(message_id)
    if not message.protected_path:
        abort(404)
    response = _send(_stored(message.protected_path), PROTECTED_MEDIA_TYPE)
    response.headers["Cache-Control"] = "private, no-store"
    return response
