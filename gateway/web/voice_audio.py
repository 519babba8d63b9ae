"""A caller's voice, served: the original to moderators (audited), the protected copy to all.

Neither is ever kept by a browser or proxy cache (`private, no-store`). Who may hear which is
decided by `gateway.visibility`, as for the rest of the voice messages screen.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file
from flask.typing import ResponseReturnValue

from audio import listening, moderation
from audio.voice_protection import PROTECTED_MEDIA_TYPE
from gateway.roles import ALL_ROLES, MODERATION
from gateway.web.access import current_actor, db_session, personal_data, requires
from gateway.web.uploads import media_store, stored_or_404
from gateway.web.voice import current_voice_access, message_or_404

blueprint = Blueprint("voice_audio", __name__, url_prefix="/voice")


def _send(path: Path, mimetype: str) -> Response:
    return send_file(path, mimetype=mimetype, conditional=True, max_age=0)


def _starts_listening() -> bool:
    """A request for the start of the file: one audit entry per listening, not per seek.

    A player asks for `bytes=N-` again at each seek; only a request from the first byte (or a
    whole download) counts as someone starting to listen.
    """
    ranges = request.range
    return ranges is None or not ranges.ranges or ranges.ranges[0][0] == 0


@blueprint.get("/<int:message_id>/original")
@requires(MODERATION)
@personal_data
def original(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    if (
        not current_voice_access().original
        or message.purged_at is not None
        or not message.original_path
    ):
        abort(404)
    path = stored_or_404(message.original_path)
    if _starts_listening():
        db = db_session()
        moderation.record_listening(db, message, actor=current_actor())
        db.commit()
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
    return response


@blueprint.get("/<int:message_id>/protected")
@requires(ALL_ROLES)
@personal_data
def protected(message_id: int) -> ResponseReturnValue:
    message = message_or_404(message_id)
    if not message.protected_path:
        abort(404)
    response = _send(stored_or_404(message.protected_path), PROTECTED_MEDIA_TYPE)
    return response
