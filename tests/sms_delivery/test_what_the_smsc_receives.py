"""What reaches a real SMSC (the npm `smpp` server) when the worker sends Spanish texts:
the encoding and the exact octets, and the concatenation headers of long messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.database import Database
from gateway.settings import Settings
from tests.sms_delivery.conftest import RunningWorker, queue_text
from tests.smsc_harness import SmscSimulator

Station = Callable[..., tuple[Settings, Database]]
Start = Callable[[Settings, Database], RunningWorker]

# GSM 03.38 septets, written out by hand from the standard's table.
GSM = {"P": 0x50, "e": 0x65, "ñ": 0x7D, "a": 0x61, " ": 0x20, "¿": 0x60, "s": 0x73, "i": 0x69}
GSM |= {"?": 0x3F, "¡": 0x40, "y": 0x79, "!": 0x21, "5": 0x35}
EURO = bytes([0x1B, 0x65])


def octets(pdu: dict[str, Any]) -> bytes:
    return bytes.fromhex(pdu["short_message_hex"])


def submits_to(smsc: SmscSimulator, address: str, count: int) -> list[dict[str, Any]]:
    return smsc.wait_for_pdus(
        "submit_sm", count=count, where=lambda p: p["destination_addr"] == address, timeout=15
    )


def test_accented_spanish_goes_out_as_gsm7_once_smart_encoding_replaced_the_accents(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station()
    queue_text(settings, database, "+525512345678", "Peña ¿sí? ¡ya! 5€")
    start_worker(settings, database)
    (pdu,) = submits_to(smsc, "525512345678", 1)
    expected = bytes(GSM[c] for c in "Peña ¿si? ¡ya! 5") + EURO
    assert pdu["data_coding"] == 0
    assert pdu["esm_class"] == 0
    assert octets(pdu) == expected


def test_with_smart_encoding_off_an_accent_outside_gsm7_sends_ucs2(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station(smart_encoding=False)
    queue_text(settings, database, "+525512345678", "¿Dónde? ¡Peña! 5€")
    start_worker(settings, database)
    (pdu,) = submits_to(smsc, "525512345678", 1)
    assert pdu["data_coding"] == 8
    assert octets(pdu) == "¿Dónde? ¡Peña! 5€".encode("utf-16-be")


def test_text_without_accents_is_plain_gsm7_and_the_configured_data_coding_is_used(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station(gsm7_data_coding=1)
    queue_text(settings, database, "+525512345678", "Reunion manana a las 5, plaza")
    start_worker(settings, database)
    (pdu,) = submits_to(smsc, "525512345678", 1)
    assert pdu["data_coding"] == 1
    assert octets(pdu) == b"Reunion manana a las 5, plaza"


def test_a_two_segment_message_carries_matching_concatenation_headers(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station()
    text = "Alerta " * 30  # 210 septets: 153 + 57
    queue_text(settings, database, "+525512345678", text)
    start_worker(settings, database)
    pdus = submits_to(smsc, "525512345678", 2)
    parts = [octets(pdu) for pdu in pdus]
    assert all(pdu["esm_class"] & 0x40 for pdu in pdus)
    assert [part[:3] for part in parts] == [b"\x05\x00\x03"] * 2
    assert parts[0][3] == parts[1][3]
    assert [(part[4], part[5]) for part in parts] == [(2, 1), (2, 2)]
    assert b"".join(part[6:] for part in parts) == text.encode("ascii")
    assert [len(part) - 6 for part in parts] == [153, 57]


def test_a_five_segment_ucs2_message_is_numbered_one_to_five_under_one_reference(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station(smart_encoding=False)
    text = "Defensoras en Guatemala: reunión urgente 🙏 " * 7  # 308 UTF-16 units: 5 × 67
    queue_text(settings, database, "+50221234567", text)
    start_worker(settings, database)
    pdus = submits_to(smsc, "50221234567", 5)
    parts = [octets(pdu) for pdu in pdus]
    assert {pdu["data_coding"] for pdu in pdus} == {8}
    assert len({part[3] for part in parts}) == 1
    assert [(part[4], part[5]) for part in parts] == [(5, n) for n in range(1, 6)]
    assert all(len(part) <= 140 for part in parts)
    assert b"".join(part[6:] for part in parts).decode("utf-16-be") == text
