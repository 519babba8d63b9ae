"""Delivery receipts: which message a receipt speaks of, and what it says happened.

SMSCs disagree on how they write a message_id: hex in submit_sm_resp and decimal in the
receipt text (or the other way round), zero-padded, in either case. Ids are therefore
normalised, and a receipt offers the other readings of its id as candidates to match on.
The stat of the receipt text (SMPP 3.4 Appendix B) and the message_state TLV are both read;
a failure in either wins, so UNDELIV, REJECTD or EXPIRED is never counted as a delivery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEX = re.compile(r"[0-9a-f]+")
_DECIMAL = re.compile(r"[0-9]+")
_FIELD = re.compile(
    r"(?<![A-Za-z0-9_])(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:",
    re.IGNORECASE,
)

DELIVERED, FAILED, EXPIRED = "delivered", "failed", "expired"

_STAT_STATES: dict[str, str | None] = {
    "DELIVRD": DELIVERED,
    "DELIVERED": DELIVERED,
    "UNDELIV": FAILED,
    "UNDELIVERABLE": FAILED,
    "UNDELIVERED": FAILED,
    "REJECTD": FAILED,
    "REJECTED": FAILED,
    "DELETED": FAILED,
    "UNKNOWN": FAILED,
    "SKIPPED": FAILED,
    "FAILED": FAILED,
    "EXPIRED": EXPIRED,
    "ENROUTE": None,
    "ACCEPTD": None,
    "ACCEPTED": None,
    "BUFFRED": None,
    "BUFFERED": None,
    "SCHEDULED": None,
}
"""Receipt text stat -> segment state; None for intermediate ones. An unknown stat is treated
as intermediate: it must not turn into a delivery, and a final receipt may still follow."""

_MESSAGE_STATES: dict[int, tuple[str, str | None]] = {
    1: ("ENROUTE", None),
    2: ("DELIVRD", DELIVERED),
    3: ("EXPIRED", EXPIRED),
    4: ("DELETED", FAILED),
    5: ("UNDELIV", FAILED),
    6: ("ACCEPTD", None),
    7: ("UNKNOWN", FAILED),
    8: ("REJECTD", FAILED),
    9: ("SKIPPED", FAILED),
}
"""message_state TLV (SMPP 3.4 5.2.28, 9 from 5.0) -> receipt stat and segment state."""


@dataclass(frozen=True)
class ReceiptOutcome:
    """What a receipt says: for which id (and its other spellings), which final state (None
    for an intermediate notification), and the SMSC's words for a failure."""

    message_id: str
    candidates: tuple[str, ...]
    state: str | None
    error: str
    quoted_text: str = ""
    """The start of the message as the receipt's `text:` quotes it ("" when it does not)."""


def normalize_message_id(raw: str) -> str:
    """One spelling per id: no whitespace or NULs, lower case, no leading zeros ("0" for an
    id of only zeros, "" for no id at all)."""
    cleaned = "".join(raw.replace("\x00", "").split()).lower()
    if not cleaned:
        return ""
    return cleaned.lstrip("0") or "0"


def message_id_candidates(raw: str) -> tuple[str, ...]:
    """The normalised id, then the same number read as decimal written in hex and read as
    hex written in decimal, where those readings parse; no duplicates."""
    normalized = normalize_message_id(raw)
    if not normalized:
        return ()
    found = [normalized]
    if _DECIMAL.fullmatch(normalized):
        found.append(format(int(normalized, 10), "x"))
    if _HEX.fullmatch(normalized):
        found.append(str(int(normalized, 16)))
    return tuple(dict.fromkeys(normalize_message_id(value) for value in found))


def quotes(short_message: bytes, quoted: str) -> bool:
    """Whether a receipt's `text:` quotes this message: SMSCs copy its first octets, writing
    anything but printable ASCII as a stand-in, so only printable ASCII is compared."""
    if not quoted:
        return False
    shown = short_message[: len(quoted)].decode("latin-1")
    if len(shown) < len(quoted):
        return False
    return all(
        mine == theirs
        for mine, theirs in zip(shown, quoted, strict=True)
        if " " <= mine <= "~" and " " <= theirs <= "~"
    ) and any(" " <= char <= "~" for char in shown)


def parse_receipt_text(text: str) -> dict[str, str]:
    """The fields of an Appendix B receipt text, keys lower case ("id", "sub", "dlvrd",
    "submit date", "done date", "stat", "err", "text"). Missing fields are absent; case and
    spacing are forgiven; `text` runs to the end (it may itself contain colons)."""
    fields: dict[str, str] = {}
    matches = list(_FIELD.finditer(text))
    for index, match in enumerate(matches):
        key = match.group(1).lower()
        if key.endswith("date"):
            key = "submit date" if key.startswith("submit") else "done date"
        if key in fields:
            continue
        if key == "text":
            fields[key] = text[match.end() :].strip()
            break
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end() : end].split()
        fields[key] = value[0] if value else ""
    return fields


def receipt_outcome(
    *, short_message: bytes, receipted_message_id: str | None, message_state: int | None
) -> ReceiptOutcome | None:
    """The outcome a deliver_sm receipt reports; None when it names no message at all.

    The id comes from the receipted_message_id TLV when present, else from the text's
    `id:`. Candidates, most likely first: the TLV's id as written, its hex/decimal readings,
    then the same for the text's id. SMPP makes the TLV the id submit_sm_resp gave, and an id
    as written is likelier than a reinterpretation of it."""
    fields = parse_receipt_text(short_message.decode("latin-1"))
    tlv_id = normalize_message_id(receipted_message_id or "")
    text_id = normalize_message_id(fields.get("id", ""))
    message_id = tlv_id or text_id
    if not message_id:
        return None
    readings = (*message_id_candidates(tlv_id), *message_id_candidates(text_id))
    candidates = tuple(dict.fromkeys(readings))
    quoted = fields.get("text", "")
    stat = fields.get("stat", "").upper()
    text_state = _STAT_STATES.get(stat) if stat else None
    tlv_stat, tlv_state = _MESSAGE_STATES.get(message_state or 0, ("", None))
    failures = [
        (name, state)
        for name, state in ((stat, text_state), (tlv_stat, tlv_state))
        if state in (FAILED, EXPIRED)
    ]
    if failures:
        name, state = failures[0]
        err = fields.get("err", "")
        error = f"{name} err:{err}" if err else name
        return ReceiptOutcome(message_id, candidates, state, error, quoted)
    if DELIVERED in (text_state, tlv_state):
        return ReceiptOutcome(message_id, candidates, DELIVERED, "", quoted)
    return ReceiptOutcome(message_id, candidates, None, "", quoted)
