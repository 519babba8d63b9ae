"""The inbox folder where telephony systems drop voice messages.

A file still being written must never be taken half-way. Two conventions make that safe:

1. Rename convention (preferred): write to a name starting with "." or ending in ".part" or
   ".tmp", then rename to the final name when complete; renames are atomic, and those names
   are never looked at. Asterisk's voicemail `externnotify` script or a GSM gateway's upload
   hook can `mv` the finished file in.
2. Settle time: any other file is taken only once its size and modification time have stayed
   the same for `media.inbox_settle_s` seconds over two looks, so a slow copy is waited for.

A sidecar `<same name>.json` may carry `caller`, `language` and `received_at` (ISO 8601); it
must be in place (and settled) when its audio file is taken. Files that cannot be used are
moved to `rejected/` beside a `.reason.txt` that says why, never silently dropped.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

IGNORED_SUFFIXES = (".part", ".tmp", ".partial", ".json", ".swp")
REJECTED_DIR = "rejected"


class SidecarError(ValueError):
    """The sidecar JSON exists but cannot be used."""


@dataclass(frozen=True)
class Sidecar:
    caller: str = ""
    language: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class ReadyFile:
    audio: Path
    sidecar: Path | None


@dataclass
class _Seen:
    signature: tuple[int, int]
    since: float


@dataclass
class InboxWatcher:
    """Remembers what it saw on earlier looks, to tell settled files from growing ones."""

    inbox: Path
    settle_s: float
    _seen: dict[Path, _Seen] = field(default_factory=dict)

    def poll(self, now: float) -> list[ReadyFile]:
        """Files (with their sidecars) that are complete; `now` is a monotonic clock reading."""
        if not self.inbox.is_dir():
            return []
        signatures: dict[Path, tuple[int, int]] = {}
        for entry in os.scandir(self.inbox):
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith("."):
                stat = entry.stat(follow_symlinks=False)
                signatures[Path(entry.path)] = (stat.st_size, stat.st_mtime_ns)
        for gone in set(self._seen) - set(signatures):
            del self._seen[gone]
        settled: set[Path] = set()
        for path, signature in signatures.items():
            seen = self._seen.get(path)
            if seen is None or seen.signature != signature:
                self._seen[path] = _Seen(signature, now)
            elif now - seen.since >= self.settle_s:
                settled.add(path)
        ready = []
        for path in sorted(settled):
            if path.name.lower().endswith(IGNORED_SUFFIXES):
                continue
            sidecar = next(
                (
                    c
                    for c in (path.with_name(path.name + ".json"), path.with_suffix(".json"))
                    if c in signatures
                ),
                None,
            )
            if sidecar is not None and sidecar not in settled:
                continue
            ready.append(ReadyFile(path, sidecar))
        return ready

    def forget(self, ready: ReadyFile) -> None:
        self._seen.pop(ready.audio, None)
        if ready.sidecar is not None:
            self._seen.pop(ready.sidecar, None)


def parse_sidecar(raw: bytes) -> Sidecar:
    """Read the telephony system's metadata; anything malformed is an error, not a guess."""
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SidecarError(f"sidecar is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SidecarError("sidecar must be a JSON object")
    caller = data.get("caller", "")
    if not isinstance(caller, str) or len(caller) > 32:
        raise SidecarError("sidecar 'caller' must be a string of at most 32 characters")
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        raise SidecarError("sidecar 'language' must be a string")
    received_at = None
    if data.get("received_at") is not None:
        try:
            received_at = datetime.fromisoformat(str(data["received_at"]))
        except ValueError:
            raise SidecarError("sidecar 'received_at' must be ISO 8601") from None
        if received_at.tzinfo is None:
            raise SidecarError("sidecar 'received_at' must carry a UTC offset")
    return Sidecar(caller=caller.strip(), language=language, received_at=received_at)


def reject(ready: ReadyFile, reason: str) -> Path:
    """Move the file (and sidecar) aside with the reason written next to it."""
    target_dir = ready.audio.parent / REJECTED_DIR
    target_dir.mkdir(exist_ok=True)
    target = target_dir / ready.audio.name
    shutil.move(str(ready.audio), target)
    if ready.sidecar is not None and ready.sidecar.exists():
        shutil.move(str(ready.sidecar), target_dir / ready.sidecar.name)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target
