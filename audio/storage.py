"""Content-addressed media storage: files are named by their SHA-256, never by what was uploaded.

An uploaded name can carry `../`, non-UTF-8 bytes, or a caller's name; none of that reaches
the disk. Files are written to a temporary name in the same folder and renamed into place, so
a crash never leaves a half-written file under a real name, and the same audio stored twice
is kept once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

CHUNK = 1 << 20


class Area(StrEnum):
    """Folders with different readers: originals of voice messages are for moderators only."""

    LIBRARY = "library"
    ORIGINALS = "originals"
    PROTECTED = "protected"
    WAVEFORMS = "waveforms"


class StorageError(Exception):
    """A stored path that does not belong to the store (tampered database row, bad input)."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    relative: str
    """Path relative to the store root, as kept in the database."""
    size: int
    created: bool = False
    """True when this call wrote the file; False when the same content was already stored."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class MediaStore:
    """The media folder (`media.dir`), with one subfolder per `Area`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def put(self, source: Path, *, area: Area, suffix: str) -> StoredFile:
        """Copy `source` in under its hash; `suffix` is ours (".mp3"), never the uploader's."""
        if not suffix.startswith(".") or not suffix[1:].isalnum():
            raise StorageError(f"not a file suffix: {suffix!r}")
        sha = file_sha256(source)
        relative = f"{area.value}/{sha[:2]}/{sha}{suffix.lower()}"
        target = self.root / relative
        created = not target.exists()
        if created:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(handle, "wb") as out, source.open("rb") as src:
                    shutil.copyfileobj(src, out, CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return StoredFile(
            sha256=sha, relative=relative, size=target.stat().st_size, created=created
        )

    def path(self, relative: str) -> Path:
        """The absolute path of a stored file, refusing anything outside the store."""
        candidate = (self.root / relative).resolve()
        if not relative or not candidate.is_relative_to(self.root) or candidate == self.root:
            raise StorageError(f"not a stored media path: {relative!r}")
        return candidate

    def delete(self, relative: str) -> bool:
        """Remove a stored file; False if it was already gone."""
        target = self.path(relative)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        return True

    def scratch(self) -> Path:
        """A private folder for work in progress on the same file system as the store."""
        folder = self.root / ".scratch"
        folder.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=folder))
