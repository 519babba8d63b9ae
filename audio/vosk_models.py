"""Vosk models installed offline, one folder per language: `<models_dir>/<lang>/`.

There is no internet where Altavoz runs, so nothing is ever downloaded: an operator brings a
model folder or its zip as published on alphacephei.com/vosk/models (for Spanish
`vosk-model-small-es-0.42.zip`, for English `vosk-model-small-en-us-0.15.zip`...) and runs
`altavoz models add PATH_OR_ZIP --lang CODE`.

What is installed must be a model Vosk can load, checked before anything is put in place:
`am/final.mdl` (the acoustic model), `conf/model.conf` and `conf/mfcc.conf`, and a decoding
graph (`graph/HCLG.fst`, or `graph/HCLr.fst` with `graph/Gr.fst` in the small lookahead
models). An install is copied or unpacked next to its final place and renamed into it, so a
worker never sees half a model, and a failed install leaves the previous one untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from audio.languages import parse_language

INFO_FILE = ".altavoz-model.json"
"""Written beside the model files: where the model came from, for `models list`."""
REQUIRED_FILES = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf")
GRAPHS = (("graph/HCLG.fst",), ("graph/HCLr.fst", "graph/Gr.fst"))


class ModelError(Exception):
    """A model that cannot be installed or used; the message says why in one sentence."""


class NotAVoskModel(ModelError):
    """The folder or zip does not hold a Vosk model."""


class ModelMissing(ModelError):
    """No model is installed for the language asked for."""


@dataclass(frozen=True)
class InstalledModel:
    lang: str
    path: Path
    source: str
    """The folder or zip name it was installed from (e.g. vosk-model-small-es-0.42)."""
    size_bytes: int
    problem: str | None = None
    """Why the folder cannot be used (damaged by hand), or None when it is a good model."""


def model_problem(folder: Path) -> str | None:
    """What is missing for `folder` to be a Vosk model, or None when nothing is."""
    if not folder.is_dir():
        return f"{folder.name} is not a folder"
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if not missing and (folder / REQUIRED_FILES[0]).stat().st_size == 0:
        return "am/final.mdl is empty"
    if not any(all((folder / name).is_file() for name in graph) for graph in GRAPHS):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst and graph/Gr.fst)")
    if missing:
        return f"it has no {', '.join(missing)}"
    return None


def _model_root(folder: Path, *, name: str) -> Path:
    """The model inside `folder`: the folder itself, or its one subfolder (as zips are made)."""
    problem = model_problem(folder)
    if problem is None:
        return folder
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        problem = model_problem(entries[0])
        if problem is None:
            return entries[0]
    raise NotAVoskModel(f"{name} is not a Vosk model: {problem}")


def _check_zip_members(archive: zipfile.ZipFile, name: str) -> int:
    """Refuse members that would land outside the model folder; return the unpacked size."""
    total = 0
    for member in archive.infolist():
        path = PurePosixPath(member.filename)
        if (
            member.filename.startswith("/")
            or "\\" in member.filename
            or ".." in path.parts
            or (path.parts and ":" in path.parts[0])
        ):
            raise NotAVoskModel(f"{name} holds an unsafe path {member.filename!r}; not unpacked")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise NotAVoskModel(f"{name} holds a symbolic link {member.filename!r}; not unpacked")
        total += member.file_size
    return total


def _unpack(source: Path, into: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, into)
        return
    if not zipfile.is_zipfile(source):
        raise NotAVoskModel(f"{source.name} is neither a model folder nor a zip file")
    try:
        with zipfile.ZipFile(source) as archive:
            size = _check_zip_members(archive, source.name)
            free = shutil.disk_usage(into.parent).free
            if size > free:
                raise ModelError(
                    f"{source.name} unpacks to {size >> 20} MB but only {free >> 20} MB are free"
                )
            archive.extractall(into)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise NotAVoskModel(f"{source.name} is a damaged zip file ({exc})") from None


def _folder_size(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file())


def _read_source(folder: Path) -> str:
    try:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(info.get("source", "")) if isinstance(info, dict) else ""


def add_model(path_or_zip: Path, *, lang: str, models_dir: Path) -> InstalledModel:
    """Install a model folder or zip for `lang`, replacing the one installed before."""
    code = parse_language(lang)
    if not path_or_zip.exists():
        raise ModelError(f"{path_or_zip} does not exist")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=".incoming-"))
    try:
        _unpack(path_or_zip, staging / "unpacked")
        root = _model_root(staging / "unpacked", name=path_or_zip.name)
        source = (
            path_or_zip.resolve().name
            if path_or_zip.is_dir()
            else path_or_zip.name.removesuffix(".zip")
        )
        (root / INFO_FILE).write_text(json.dumps({"source": source}), encoding="utf-8")
        target = models_dir / code
        if target.exists():
            old = staging / "previous"
            os.rename(target, old)
        os.rename(root, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InstalledModel(lang=code, path=target, source=source, size_bytes=_folder_size(target))


def list_models(models_dir: Path) -> list[InstalledModel]:
    """Every language folder under `models_dir`, good or not, sorted by language."""
    if not models_dir.is_dir():
        return []
    found = []
    for folder in sorted(models_dir.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        found.append(
            InstalledModel(
                lang=folder.name,
                path=folder,
                source=_read_source(folder),
                size_bytes=_folder_size(folder),
                problem=model_problem(folder),
            )
        )
    return found


def model_path(lang: str, models_dir: Path) -> Path:
    """The model folder for `lang`; a regional code ("es-mx") falls back to its language."""
    code = parse_language(lang)
    candidates = [code]
    if "-" in code:
        candidates.append(code.split("-", 1)[0])
    for candidate in candidates:
        folder = models_dir / candidate
        if folder.is_dir():
            problem = model_problem(folder)
            if problem is not None:
                raise NotAVoskModel(
                    f"the model installed for language '{candidate}' is damaged: {problem}"
                )
            return folder
    raise ModelMissing(
        f"no Vosk model installed for language '{code}' "
        f"(install one with: altavoz models add PATH_OR_ZIP --lang {code})"
    )
