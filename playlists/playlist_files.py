"""Playlists as M3U and XSPF files, for exchange with other radio software.

Export names each recording by its stored path (which carries its content hash) and title;
import matches a line back to the library by the hash in its location, then by its title,
and reports every line it could not match rather than dropping it silently. XSPF is parsed
with a refusal of DOCTYPE and entity declarations, so an uploaded file cannot expand itself
(billion laughs) or reach for local files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from xml.etree import ElementTree

from gateway.codes import Refused

XSPF_NS = "http://xspf.org/ns/0/"
SHA256 = re.compile(r"[0-9a-f]{64}")


class PlaylistFileProblem(StrEnum):
    """Why a playlist file was refused: the panel words it (gateway/web/labels.py)."""

    DECLARATIONS = "playlist_file.declarations"
    NOT_XML = "playlist_file.not_xml"
    NOT_XSPF = "playlist_file.not_xspf"


class PlaylistFileError(Refused):
    """A file that is not a playlist we can read; `problem` and `params` let the panel say
    why in the operator's language."""


@dataclass(frozen=True)
class Entry:
    title: str
    location: str
    duration_s: float | None = None


@dataclass(frozen=True)
class Known:
    """A library recording an imported line may refer to."""

    recording_id: int
    sha256: str
    title: str


@dataclass(frozen=True)
class Matched:
    recording_ids: list[int]
    unmatched: list[str]


def to_m3u(entries: Iterable[Entry]) -> str:
    lines = ["#EXTM3U"]
    for entry in entries:
        seconds = -1 if entry.duration_s is None else round(entry.duration_s)
        lines.append(f"#EXTINF:{seconds},{entry.title.replace(chr(10), ' ')}")
        lines.append(entry.location)
    return "\n".join(lines) + "\n"


def parse_m3u(text: str) -> list[Entry]:
    entries: list[Entry] = []
    title, duration = "", None
    for raw in text.splitlines():
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        if line.startswith("#EXTINF:"):
            head, _, title = line[8:].partition(",")
            try:
                duration = float(head.split()[0]) if head else None
            except ValueError:
                duration = None
            continue
        if line.startswith("#"):
            continue
        entries.append(Entry(title=title.strip(), location=line, duration_s=duration))
        title, duration = "", None
    return entries


def to_xspf(name: str, entries: Iterable[Entry]) -> str:
    ElementTree.register_namespace("", XSPF_NS)
    root = ElementTree.Element(f"{{{XSPF_NS}}}playlist", {"version": "1"})
    ElementTree.SubElement(root, f"{{{XSPF_NS}}}title").text = name
    tracks = ElementTree.SubElement(root, f"{{{XSPF_NS}}}trackList")
    for entry in entries:
        track = ElementTree.SubElement(tracks, f"{{{XSPF_NS}}}track")
        ElementTree.SubElement(track, f"{{{XSPF_NS}}}location").text = entry.location
        ElementTree.SubElement(track, f"{{{XSPF_NS}}}title").text = entry.title
        if entry.duration_s is not None:
            milliseconds = str(round(entry.duration_s * 1000))
            ElementTree.SubElement(track, f"{{{XSPF_NS}}}duration").text = milliseconds
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        root, encoding="unicode"
    )


def parse_xspf(text: str) -> list[Entry]:
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise PlaylistFileError(
            "XSPF files with DOCTYPE or ENTITY declarations are refused",
            PlaylistFileProblem.DECLARATIONS,
        )
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise PlaylistFileError(
            f"not valid XML: {exc}", PlaylistFileProblem.NOT_XML, line=exc.position[0]
        ) from exc
    if not root.tag.endswith("playlist"):
        raise PlaylistFileError(
            "not an XSPF playlist (no <playlist> root)", PlaylistFileProblem.NOT_XSPF
        )
    entries: list[Entry] = []
    for track in root.iter(f"{{{XSPF_NS}}}track"):
        location = (track.findtext(f"{{{XSPF_NS}}}location") or "").strip()
        title = (track.findtext(f"{{{XSPF_NS}}}title") or "").strip()
        duration = track.findtext(f"{{{XSPF_NS}}}duration")
        entries.append(
            Entry(
                title=title,
                location=location,
                duration_s=float(duration) / 1000 if duration and duration.isdigit() else None,
            )
        )
    return entries


def match(entries: Sequence[Entry], library: Sequence[Known]) -> Matched:
    by_sha = {known.sha256: known.recording_id for known in library}
    by_title = {known.title.casefold(): known.recording_id for known in library}
    ids: list[int] = []
    unmatched: list[str] = []
    for number, entry in enumerate(entries, start=1):
        found = SHA256.search(entry.location.lower())
        recording = by_sha.get(found.group(0)) if found else None
        if recording is None and entry.title:
            recording = by_title.get(entry.title.casefold())
        if recording is None:
            unmatched.append(f"entry {number}: {entry.title or entry.location}")
        else:
            ids.append(recording)
    return Matched(ids, unmatched)
