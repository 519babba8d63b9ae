"""What the moderator is told when marking a message sensitive withdrew its library copy."""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import gettext as _

from gateway.sensitive import Withdrawal


def withdrawn_lines(withdrawal: Withdrawal) -> list[str]:
    """One sentence per kind of place the undisguised voice was taken from."""
    lines = [
        _(
            "Its undisguised copy was withdrawn from the library: “%(title)s” (recording "
            "%(id)d) is deleted.",
            title=withdrawal.title,
            id=withdrawal.recording_id,
        )
    ]
    if withdrawal.playlists:
        lines.append(
            _("Taken out of the playlists: %(names)s.", names=", ".join(withdrawal.playlists))
        )
    if withdrawal.emptied_playlists:
        lines.append(
            _(
                "Now empty (their slots will air the fallback until you add recordings): "
                "%(names)s.",
                names=", ".join(withdrawal.emptied_playlists),
            )
        )
    for slot in withdrawal.removed_slots:
        lines.append(
            _(
                "The slot “%(title)s” (next on %(start)s) aired only this recording and was "
                "removed from the schedule.",
                title=slot.title,
                start=format_datetime(slot.next_start, "short"),
            )
        )
    return lines
