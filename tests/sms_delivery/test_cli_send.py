"""`altavoz sms send` carries one SMS to the SMSC itself when no SMS worker is running."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gateway import migrate
from gateway.database import Database
from tests.sms_delivery.conftest import sms_station
from tests.smsc_harness import SmscSimulator

ROOT = Path(__file__).resolve().parents[2]


def test_sms_send_reaches_the_smsc_and_says_so(tmp_path: Path, smsc: SmscSimulator) -> None:
    settings = sms_station(tmp_path, smsc)
    database = Database(settings.database.url)
    migrate.upgrade(database)
    database.dispose()
    env = {
        **os.environ,
        "ALTAVOZ_DATABASE__URL": settings.database.url,
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_SMPP__ENABLED": "true",
        "ALTAVOZ_SMPP__PORT": str(settings.smpp.port),
        "ALTAVOZ_SMPP__SYSTEM_ID": settings.smpp.system_id,
        "ALTAVOZ_SMPP__PASSWORD": settings.smpp.password,
    }
    result = subprocess.run(
        [
            str(ROOT / ".venv/bin/altavoz"),
            "sms",
            "send",
            "--to",
            "55 1234 5678",
            "--text",
            "¿Llegó?",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "submitted to the SMSC" in result.stdout
    (pdu,) = smsc.pdus("submit_sm", "in")
    assert pdu["destination_addr"] == "525512345678"
    assert bytes.fromhex(pdu["short_message_hex"]) == bytes([0x60]) + b"Llego?"
