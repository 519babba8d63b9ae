"""Library screen: upload (several files, with progress), search, listen, edit, delete.

Thin on purpose: checks go through `audio.metadata`, storage and the database through
`audio.library`, the same code the API and `altavoz audio import` use.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from audio import library
from audio.errors import AudioError
from audio.ingest import MEDIA_TYPE
from audio.metadata import (
    KINDS,
    MetadataError,
    RecordingMetadata,
    clean_text,
    parse_consent,
    parse_kind,
    parse_language,
    parse_metadata,
    title_from_filename,
)
from audio.models import Recording
from audio.moderation import LIBRARY_TAGS
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web.access import (
    current_actor,
    current_role,
    db_session,
    personal_data_in_this_answer,
    requires,
)
from gateway.web.labels import label, problem_text
from gateway.web.uploads import import_upload, media_store, refusal_text, stored_or_404
from playlists.usage import RecordingUse, recording_use

blueprint = Blueprint("library", __name__, url_prefix="/library")


def _kind_choices() -> list[tuple[str, str]]:
    return [(kind, str(label(kind))) for kind in KINDS]


class _MetadataFields(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_kind_choices)
    language = StringField(_l("Language code (e.g. es)"), validators=[Length(max=16)])
    speaker = StringField(_l("Speaker"), validators=[Length(max=120)])
    consent = BooleanField(_l("Consent to broadcast on record"))
    tags = StringField(_l("Tags (separated by commas)"), validators=[Length(max=900)])


class UploadForm(_MetadataFields):
    files = MultipleFileField(_l("Audio files"))
    title = StringField(_l("Title (default: the file name)"), validators=[Length(max=200)])


class EditForm(_MetadataFields):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])


class DeleteForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, delete this recording"), validators=[DataRequired(_l("Tick the box to confirm."))]
    )


def _metadata(form: _MetadataFields, title: str) -> RecordingMetadata:
    return parse_metadata(
        title=title,
        kind=form.kind.data,
        language=form.language.data,
        speaker=form.speaker.data,
        consent=bool(form.consent.data),
        tags=form.tags.data,
    )


def _filters() -> library.Filters:
    args = request.args
    try:
        return library.Filters(
            text=args.get("q", "").strip(),
            kind=parse_kind(args["kind"]) if args.get("kind") else None,
            language=parse_language(args.get("language")),
            consent=parse_consent(args["consent"]) if args.get("consent") else None,
        )
    except MetadataError as exc:
        flash(problem_text(exc))
        return library.Filters()


def _index_page(upload_form: UploadForm) -> str:
    db = db_session()
    filters = _filters()
    return render_template(
        "library/index.html",
        recordings=library.search(db, filters),
        filters=filters,
        languages=library.languages(db),
        kinds=KINDS,
        form=upload_form,
        can_edit=current_role() in STAFF,
        page_size=library.PAGE_SIZE,
    )


def _wants_json() -> bool:
    accepted = request.accept_mimetypes
    return accepted.best == "application/json"


def _recording_or_404(recording_id: int) -> Recording:
    recording = db_session().get(Recording, recording_id)
    if recording is None:
        abort(404)
    return recording


@blueprint.get("/")
@requires(ALL_ROLES)
def index() -> ResponseReturnValue:
    return _index_page(UploadForm())


@blueprint.post("/upload")
@requires(STAFF)
def upload() -> ResponseReturnValue:
    form = UploadForm()
    uploads = [item for item in request.files.getlist("files") if item.filename]
    problem = None
    if not form.validate_on_submit():
        problem = _("The form has expired or is incomplete; reload the page and try again.")
    elif not uploads:
        problem = _("Choose at least one audio file.")
    else:
        try:
            _metadata(form, form.title.data or "-")
        except MetadataError as exc:
            problem = problem_text(exc)
    if problem is not None:
        if _wants_json():
            return jsonify(error={"code": "unprocessable", "message": problem}), 400
        form.files.errors = [*form.files.errors, problem]
        return _index_page(form), 400
    imported = 0
    for item in uploads:
        shown = clean_text(item.filename or "") or _("unnamed file")
        title = form.title.data or title_from_filename(item.filename)
        try:
            recording = import_upload(item, _metadata(form, title))
        except AudioError as exc:
            flash(_("%(name)s was not imported: %(reason)s", name=shown, reason=refusal_text(exc)))
            continue
        imported += 1
        flash(
            _(
                "%(name)s imported: %(duration).1f s at %(loudness).1f LUFS.",
                name=shown,
                duration=recording.duration_s,
                loudness=recording.loudness_lufs,
            )
        )
    target = url_for("library.index")
    if _wants_json():
        return jsonify(next=target, imported=imported, refused=len(uploads) - imported)
    return redirect(target, code=303)


def _detail_page(
    recording: Recording,
    edit_form: EditForm,
    delete_form: DeleteForm,
    use: RecordingUse | None = None,
) -> str:
    return render_template(
        "library/detail.html",
        recording=recording,
        form=edit_form,
        delete_form=delete_form,
        use=use or recording_use(db_session(), recording.id, utcnow()),
        can_edit=current_role() in STAFF,
    )


def _deletion_refusals(use: RecordingUse) -> list[str]:
    """Why the recording may not go yet, one sentence per use that would leave air empty."""
    reasons = [
        _(
            "The slot “%(title)s” (next on %(start)s) airs this recording and nothing else: "
            "move or delete the slot first.",
            title=slot.title,
            start=format_datetime(slot.next_start, "short"),
        )
        for slot in use.blocking_slots
    ]
    if use.emptied_fallback is not None:
        reasons.append(
            _(
                "It is the only item of the fallback playlist “%(name)s”: add other recordings "
                "to it first.",
                name=use.emptied_fallback.name,
            )
        )
    return reasons


def _filled_edit_form(recording: Recording) -> EditForm:
    return EditForm(
        formdata=None,
        data={
            "title": recording.title,
            "kind": recording.kind,
            "language": recording.language,
            "speaker": recording.speaker,
            "consent": recording.consent,
            "tags": ", ".join(recording.tags or []),
        },
    )


@blueprint.get("/<int:recording_id>")
@requires(ALL_ROLES)
def detail(recording_id: int) -> ResponseReturnValue:
    recording = _recording_or_404(recording_id)
    return _detail_page(recording, _filled_edit_form(recording), DeleteForm())


@blueprint.post("/<int:recording_id>")
@requires(STAFF)
def edit(recording_id: int) -> ResponseReturnValue:
    recording = _recording_or_404(recording_id)
    form = EditForm()
    if form.validate_on_submit():
        try:
            metadata = _metadata(form, form.title.data or "")
        except MetadataError as exc:
            form.title.errors = [*form.title.errors, problem_text(exc)]
        else:
            db = db_session()
            changed = library.update_metadata(db, recording, metadata, actor=current_actor())
            db.commit()
            flash(_("Saved.") if changed else _("Nothing changed."))
            return redirect(url_for("library.detail", recording_id=recording.id), code=303)
    return _detail_page(recording, form, DeleteForm()), 400


@blueprint.post("/<int:recording_id>/delete")
@requires(STAFF)
def delete(recording_id: int) -> ResponseReturnValue:
    recording = _recording_or_404(recording_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        return _detail_page(recording, _filled_edit_form(recording), form), 400
    db = db_session()
    use = recording_use(db, recording.id, utcnow())
    if use.blocks_deletion:
        form.confirm.errors = [*form.confirm.errors, *_deletion_refusals(use)]
        return _detail_page(recording, _filled_edit_form(recording), form, use), 409
    title = recording.title
    unused = library.delete_recording(db, recording, actor=current_actor())
    db.commit()
    library.remove_files(media_store(), unused)
    flash(_("%(title)s was deleted.", title=title))
    return redirect(url_for("library.index"), code=303)


VOICE_MESSAGE_TAG = LIBRARY_TAGS[0]


def _stored_file(relative: str, mimetype: str) -> ResponseReturnValue:
    path = stored_or_404(relative)
    return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)


@blueprint.get("/<int:recording_id>/audio")
@requires(ALL_ROLES)
def audio(recording_id: int) -> ResponseReturnValue:
    """A caller's voice (even disguised) is never kept in a browser or proxy cache."""
    recording = _recording_or_404(recording_id)
    if recording.voice_message_id is not None or VOICE_MESSAGE_TAG in (recording.tags or []):
        personal_data_in_this_answer()
    return _stored_file(recording.media_path, MEDIA_TYPE)


@blueprint.get("/<int:recording_id>/waveform.svg")
@requires(ALL_ROLES)
def waveform(recording_id: int) -> ResponseReturnValue:
    return _stored_file(_recording_or_404(recording_id).waveform_path, "image/svg+xml")
