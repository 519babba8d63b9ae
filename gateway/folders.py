"""The folders the configuration names, made before anything needs them.

A fresh station has none of `var/media`, `var/inbox`, `var/models`...: `altavoz init` and
`altavoz serve` (so `make run`) create them, so an operator told "drop files in the inbox" finds
the inbox there, and a worker never meets a missing folder on its first file. The list is read
from the settings themselves (every path setting; a `*_file` setting names its folder), so a
folder added to the configuration later is made too without anyone remembering to.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.engine import make_url

from gateway.settings import Settings


def _path_settings(section: BaseModel) -> Iterator[tuple[str, Path]]:
    for name in type(section).model_fields:
        value = getattr(section, name)
        if isinstance(value, BaseModel):
            yield from _path_settings(value)
        elif isinstance(value, Path):
            yield name, value


def configured_folders(settings: Settings) -> list[Path]:
    """Every folder the settings name, the SQLite database's included, each once."""
    folders = [
        path.parent if name.endswith("_file") else path for name, path in _path_settings(settings)
    ]
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folders.append(Path(url.database).parent)
    return list(dict.fromkeys(folders))


def make_folders(settings: Settings) -> None:
    """Create the configured folders that are missing; an existing one is left as it is."""
    for folder in configured_folders(settings):
        folder.mkdir(parents=True, exist_ok=True)


def write_problem(folder: Path) -> str | None:
    """Why a file cannot be created in `folder`, or None when one can: tried for real, since
    permission bits say nothing of read-only mounts and root ignores them."""
    if not folder.exists():
        return f"{folder} does not exist (run altavoz init)"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".altavoz-doctor-")
    except OSError as exc:
        return f"{folder} is not writable: {exc.strerror or exc}"
    os.close(handle)
    os.unlink(probe)
    return None
