"""The inbox never takes a file that is still being written, and reads sidecars strictly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from audio.inbox import InboxWatcher, ReadyFile, SidecarError, parse_sidecar, reject


def test_a_growing_file_is_not_taken_until_it_has_settled(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path, settle_s=2.0)
    audio = tmp_path / "call-1.wav"
    audio.write_bytes(b"RIFF" + b"\0" * 100)
    assert watcher.poll(now=0.0) == []
    with audio.open("ab") as handle:
        handle.write(b"\0" * 100)
    assert watcher.poll(now=1.5) == []
    assert watcher.poll(now=3.0) == []
    assert watcher.poll(now=3.4) == []
    assert watcher.poll(now=3.6) == [ReadyFile(audio, None)]


def test_partial_and_hidden_names_are_never_taken(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path, settle_s=0.0)
    for name in (".call.wav", "call.wav.part", "call.tmp", "orphan.json"):
        (tmp_path / name).write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    watcher.poll(now=0.0)
    assert watcher.poll(now=10.0) == []


def test_a_renamed_file_is_taken_with_its_sidecar(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path, settle_s=1.0)
    part = tmp_path / "msg.amr.part"
    part.write_bytes(b"#!AMR\n" + b"\0" * 50)
    sidecar = tmp_path / "msg.json"
    sidecar.write_text('{"caller": "+50255551234", "language": "es"}')
    watcher.poll(now=0.0)
    part.rename(tmp_path / "msg.amr")
    assert watcher.poll(now=0.5) == []
    assert watcher.poll(now=1.6) == [ReadyFile(tmp_path / "msg.amr", sidecar)]


def test_a_sidecar_still_being_written_holds_back_its_audio(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path, settle_s=1.0)
    audio = tmp_path / "msg.wav"
    audio.write_bytes(b"RIFF" + b"\0" * 10)
    watcher.poll(now=0.0)
    sidecar = tmp_path / "msg.wav.json"
    sidecar.write_text('{"caller": ')
    assert watcher.poll(now=1.5) == []
    sidecar.write_text('{"caller": "5512345678"}')
    assert watcher.poll(now=2.0) == []
    assert watcher.poll(now=3.1) == [ReadyFile(audio, sidecar)]


def test_sidecar_fields_are_read_with_an_aware_time() -> None:
    sidecar = parse_sidecar(
        b'{"caller": " +52 55 1234 5678 ", "language": "es",'
        b' "received_at": "2026-11-24T10:00:00-06:00"}'
    )
    assert sidecar.caller == "+52 55 1234 5678"
    assert sidecar.language == "es"
    assert sidecar.received_at == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[1, 2]", "must be a JSON object"),
        (b"{not json", "not valid UTF-8 JSON"),
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        (b'{"caller": 5}', "'caller' must be a string"),
        (b'{"received_at": "yesterday"}', "must be ISO 8601"),
        (b'{"received_at": "2026-11-24T10:00:00"}', "must carry a UTC offset"),
    ],
)
def test_bad_sidecars_are_refused_with_a_reason(raw: bytes, message: str) -> None:
    with pytest.raises(SidecarError, match=message):
        parse_sidecar(raw)


def test_rejected_files_are_kept_aside_with_the_reason(tmp_path: Path) -> None:
    audio = tmp_path / "notes.wav"
    audio.write_text("this is not audio")
    sidecar = tmp_path / "notes.json"
    sidecar.write_text("{}")
    target = reject(ReadyFile(audio, sidecar), "not an audio file")
    assert not audio.exists() and not sidecar.exists()
    assert target.read_text() == "this is not audio"
    assert (tmp_path / "rejected" / "notes.wav.reason.txt").read_text() == "not an audio file\n"
    assert (tmp_path / "rejected" / "notes.json").exists()
