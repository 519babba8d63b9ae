"""What the operator is shown about smart encoding is what reaches the SMSC: a Kaqchikel text
arrives in UCS-2 with its ë and ï, a Spanish one in GSM-7 with the replacements the command
line and the panel's preview listed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.conftest import station_settings
from tests.sms_delivery.conftest import RunningWorker, queue_text
from tests.smsc_harness import SmscSimulator

KAQCHIKEL = "Xtikïr ri ëq'ij"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """SMPP on, as a station sending alerts by SMS has it."""
    return station_settings(tmp_path, smpp={"enabled": True})


def test_a_kept_letter_reaches_the_smsc_in_ucs2_as_typed(
    make_station: Callable[..., tuple[Settings, Database]],
    start_worker: Callable[[Settings, Database], RunningWorker],
    smsc: SmscSimulator,
) -> None:
    settings, database = make_station()
    queue_text(settings, database, "+525512345678", f"“Alerta” {KAQCHIKEL}")
    start_worker(settings, database)
    (pdu,) = smsc.wait_for_pdus("submit_sm", count=1, timeout=15)
    assert pdu["data_coding"] == 8
    assert bytes.fromhex(pdu["short_message_hex"]).decode("utf-16-be") == f"“Alerta” {KAQCHIKEL}"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"“Alerta” {KAQCHIKEL}", "kept ï, ë (smpp.keep_characters): sent as UCS-2"),
        ("“Reunión” mañana", 'replaced: “ -> ", ó -> o, ” -> "'),
    ],
)
@pytest.mark.parametrize("command", ["sms", "alert"])
def test_the_command_line_says_what_smart_encoding_did(
    app: Flask, command: str, text: str, line: str
) -> None:
    if command == "sms":
        args = ["sms", "send", "--to", "+525512345678", "--text", text, "--no-wait"]
    else:
        args = ["alert", "send", "--text", text, "--region", "*", "--sms"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == line


@pytest.mark.parametrize(
    ("language", "replaced", "kept"),
    [
        (
            "en",
            'Replaced before sending: “ → ", ó → o, ” → ", U+00AD → (deleted)',
            "Kept as typed: ï, ë",
        ),
        (
            "es",
            'Reemplazado antes de enviar: “ → ", ó → o, ” → ", U+00AD → (borrado)',
            "Se conservan tal como se escribieron: ï, ë",
        ),
    ],
)
def test_the_panel_preview_lists_the_changes_in_the_operators_language(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    language: str,
    replaced: str,
    kept: str,
) -> None:
    logged_in(Role.OPERATOR)
    client.get(f"/lang/{language}")
    shown = client.get("/alerts/preview", query_string={"text": "“Reunión”\u00ad"}).json
    assert shown["changes"] == [replaced]  # type: ignore[index]
    shown = client.get("/alerts/preview", query_string={"text": KAQCHIKEL}).json
    assert shown["encoding"] == "ucs2" and shown["kept"] == ["ï", "ë"]  # type: ignore[index]
    (line,) = shown["changes"]  # type: ignore[index]
    assert line.startswith(kept)
    assert 'id="sms-changes"' in client.get("/alerts/").get_data(as_text=True)
