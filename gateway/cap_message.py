"""CAP 1.2 messages (OASIS Common Alerting Protocol): an alert written as one, and one read
from another warning system, checked against the OASIS schema shipped beside the code.

Only XML is handled here, no database and no web. Reading is defensive because the document
comes from another system: a size limit before parsing, no DTD (so no entity of any kind,
internal or external: no XXE, no "billion laughs"), no network, then the schema. Whatever is
refused raises `CapError`, whose message is the reason given back to that system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path

from lxml import etree

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "CAP-v1.2.xsd"
MAX_CAP_BYTES = 256 * 1024
"""Far more than an alert's text and areas; a bigger body is refused before it is parsed."""
_TOKEN = re.compile(r"[^\s,<&]+")


class CapError(ValueError):
    """A CAP message that cannot be taken; nothing was done with it."""


@dataclass(frozen=True)
class Reference:
    """One earlier message, as CAP's `references` names it: sender, identifier, sent."""

    sender: str
    identifier: str
    sent: str

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


@dataclass(frozen=True)
class Info:
    language: str
    text: str
    areas: list[str]


@dataclass(frozen=True)
class Message:
    """What is read from (or written as) a CAP alert element."""

    identifier: str
    sender: str
    sent: str
    status: str
    msg_type: str
    scope: str
    references: list[Reference]
    infos: list[Info]

    def info_for(self, language: str) -> Info | None:
        """The info block in this language (or a regional variant of it), else the first."""
        wanted = language.lower().split("-")[0]
        for info in self.infos:
            if info.language.lower().split("-")[0] == wanted:
                return info
        return self.infos[0] if self.infos else None


@dataclass(frozen=True)
class Profile:
    """What this station says of every alert it exports (`alerts.cap_*`)."""

    sender: str
    sender_name: str
    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    zone: tzinfo


def cap_time(moment: datetime, zone: tzinfo) -> str:
    """CAP's dateTime: in the station's zone, with its offset, without fractional seconds."""
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def write(message: Message, profile: Profile) -> bytes:
    """The message as a CAP 1.2 document, elements in the schema's order."""
    alert = etree.Element(f"{{{NAMESPACE}}}alert", nsmap={None: NAMESPACE})
    _add(alert, "identifier", message.identifier)
    _add(alert, "sender", message.sender)
    _add(alert, "sent", message.sent)
    _add(alert, "status", message.status)
    _add(alert, "msgType", message.msg_type)
    _add(alert, "scope", message.scope)
    if message.references:
        _add(alert, "references", " ".join(str(ref) for ref in message.references))
    for info in message.infos:
        block = _add(alert, "info")
        _add(block, "language", info.language)
        _add(block, "category", profile.category)
        _add(block, "event", profile.event)
        _add(block, "urgency", profile.urgency)
        _add(block, "severity", profile.severity)
        _add(block, "certainty", profile.certainty)
        _add(block, "senderName", profile.sender_name)
        _add(block, "description", info.text)
        for name in info.areas:
            _add(_add(block, "area"), "areaDesc", name)
    return bytes(etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if text is not None:
        element.text = text
    return element


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), _parser()))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def read(data: bytes) -> Message:
    """Parse and validate a CAP 1.2 document from another system; CapError says why not."""
    if len(data) > MAX_CAP_BYTES:
        raise CapError(f"a CAP message may be at most {MAX_CAP_BYTES // 1024} KiB")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise CapError(f"the body is not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CapError("a DOCTYPE is not accepted in a CAP message (no DTD, no entities)")
    schema = _schema()
    if not schema.validate(root):
        error = schema.error_log.last_error
        where = f"line {error.line}: " if error is not None and error.line else ""
        reason = error.message if error is not None else "it does not match the schema"
        raise CapError(f"not a valid CAP 1.2 message: {where}{reason}")
    identifier = _token(root, "identifier")
    sender = _token(root, "sender")
    return Message(
        identifier=identifier,
        sender=sender,
        sent=_text(root, "sent"),
        status=_text(root, "status"),
        msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"),
        references=_references(_text(root, "references")),
        infos=[_info(block) for block in root.iterfind(f"{{{NAMESPACE}}}info")],
    )


def _text(parent: etree._Element, name: str) -> str:
    return (parent.findtext(f"{{{NAMESPACE}}}{name}") or "").strip()


def _token(parent: etree._Element, name: str) -> str:
    value = _text(parent, name)
    if not _TOKEN.fullmatch(value):
        raise CapError(f"'{name}' must be non-empty, without spaces, commas, '<' or '&'")
    return value


def _references(value: str) -> list[Reference]:
    references = []
    for item in value.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(f"'references' must list sender,identifier,sent triples: {item[:80]!r}")
        references.append(Reference(*parts))
    return references


def _info(block: etree._Element) -> Info:
    text = _text(block, "description") or _text(block, "headline") or _text(block, "event")
    areas = [_text(area, "areaDesc") for area in block.iterfind(f"{{{NAMESPACE}}}area")]
    return Info(language=_text(block, "language") or "en-US", text=text, areas=areas)
