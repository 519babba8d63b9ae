"""Who may see what of a voice message: one decision, used by the panel and the API alike.

A voice message can get someone hurt in the wrong hands: its transcript may name people, its
original audio carries a recognisable voice, its caller's number says who called. Moderators
and admins handle all of that; operators run the air and only ever learn of messages a
moderator approved for broadcast, with the caller's number masked and only the protected copy
of the voice to hear. The panel and `/api/v1` both ask `voice_access(role)`, so a rule changed
here changes for both, and a message an operator cannot see in the panel is absent from the
API too (404 there, left out of lists).
"""

from __future__ import annotations

from dataclasses import dataclass

from audio.models import Moderation, VoiceMessage
from gateway.roles import MODERATION, Role


@dataclass(frozen=True)
class VoiceAccess:
    """What one role may learn of voice messages."""

    decisions: frozenset[Moderation]
    """Messages with these moderation decisions exist for the role (metadata and transcript)."""
    original: bool
    """May listen to the original, undisguised voice."""
    caller: bool
    """May reveal the caller's full number (otherwise it is only ever shown masked)."""

    def sees(self, message: VoiceMessage) -> bool:
        return message.moderation in self.decisions


NOTHING = VoiceAccess(decisions=frozenset(), original=False, caller=False)


def voice_access(role: Role | None) -> VoiceAccess:
    """The one rule: moderators and admins everything, operators approved messages only."""
    if role is None:
        return NOTHING
    if role in MODERATION:
        return VoiceAccess(decisions=frozenset(Moderation), original=True, caller=True)
    return VoiceAccess(decisions=frozenset({Moderation.APPROVED}), original=False, caller=False)


def may_see(role: Role | None, message: VoiceMessage) -> bool:
    return voice_access(role).sees(message)
