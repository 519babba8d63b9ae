"""Delivery receipts: ids in any spelling, Appendix B text, and states that never turn a
failure into a delivery."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.receipts import (
    ReceiptOutcome,
    message_id_candidates,
    normalize_message_id,
    parse_receipt_text,
    receipt_outcome,
)

RECEIPT = (
    "id:0000012A sub:001 dlvrd:001 submit date:2611241530 done date:2611241531 "
    "stat:{stat} err:{err} text:Hay hombres armados"
)


def receipt(stat: str, err: str = "000", message_id: str = "0000012A") -> bytes:
    return RECEIPT.format(stat=stat, err=err).replace("0000012A", message_id).encode()


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("0000012A", "12a"),
        (" 12a\x00\x00", "12a"),
        ("000", "0"),
        ("0", "0"),
        ("ABCDEF", "abcdef"),
        ("", ""),
        ("  \x00", ""),
        ("7f2c-ab", "7f2c-ab"),
    ],
)
def test_ids_are_normalised(raw: str, normalized: str) -> None:
    assert normalize_message_id(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "candidates"),
    [
        ("0000012A", ("12a", "298")),
        ("298", ("298", "12a", "664")),
        ("0", ("0",)),
        ("ff", ("ff", "255")),
        ("7f2c-ab", ("7f2c-ab",)),
        ("", ()),
        ("9", ("9",)),
    ],
)
def test_candidates_read_the_id_as_hex_and_as_decimal(
    raw: str, candidates: tuple[str, ...]
) -> None:
    assert message_id_candidates(raw) == candidates


@settings(database=None, deadline=None)
@given(st.integers(0, 2**64))
def test_a_hex_id_and_its_decimal_spelling_always_meet(number: int) -> None:
    as_hex = format(number, "X").zfill(10)
    as_decimal = str(number)
    assert normalize_message_id(as_hex) in message_id_candidates(as_decimal)
    assert normalize_message_id(as_decimal) in message_id_candidates(as_hex)


def test_the_appendix_b_text_is_parsed() -> None:
    assert parse_receipt_text(receipt("DELIVRD").decode()) == {
        "id": "0000012A",
        "sub": "001",
        "dlvrd": "001",
        "submit date": "2611241530",
        "done date": "2611241531",
        "stat": "DELIVRD",
        "err": "000",
        "text": "Hay hombres armados",
    }


def test_parsing_forgives_case_spacing_and_missing_fields() -> None:
    fields = parse_receipt_text("ID: 42  Stat:  undeliv   ERR:0B  Text: id:9 stat:DELIVRD")
    assert fields == {"id": "42", "stat": "undeliv", "err": "0B", "text": "id:9 stat:DELIVRD"}
    assert parse_receipt_text("") == {}
    assert parse_receipt_text("id:7 submit_date:2611241530 done_date:")["done date"] == ""


@pytest.mark.parametrize(
    ("stat", "state"),
    [
        ("DELIVRD", "delivered"),
        ("UNDELIV", "failed"),
        ("REJECTD", "failed"),
        ("DELETED", "failed"),
        ("UNKNOWN", "failed"),
        ("EXPIRED", "expired"),
        ("ENROUTE", None),
        ("ACCEPTD", None),
        ("whatever", None),
    ],
)
def test_the_stat_of_the_text_gives_the_state(stat: str, state: str | None) -> None:
    outcome = receipt_outcome(
        short_message=receipt(stat), receipted_message_id=None, message_state=None
    )
    assert outcome is not None
    assert (outcome.message_id, outcome.state) == ("12a", state)
    assert outcome.candidates == ("12a", "298")


@pytest.mark.parametrize(
    ("message_state", "state"),
    [
        (2, "delivered"),
        (5, "failed"),
        (8, "failed"),
        (4, "failed"),
        (7, "failed"),
        (3, "expired"),
        (1, None),
        (6, None),
    ],
)
def test_the_message_state_tlv_gives_the_state(message_state: int, state: str | None) -> None:
    outcome = receipt_outcome(
        short_message=b"", receipted_message_id="A1", message_state=message_state
    )
    assert outcome is not None
    assert (outcome.message_id, outcome.state) == ("a1", state)


def test_a_failure_gives_the_smsc_words_for_it() -> None:
    outcome = receipt_outcome(
        short_message=receipt("UNDELIV", err="000"), receipted_message_id=None, message_state=None
    )
    assert outcome == ReceiptOutcome(
        "12a", ("12a", "298"), "failed", "UNDELIV err:000", "Hay hombres armados"
    )
    by_tlv = receipt_outcome(short_message=b"", receipted_message_id="5", message_state=8)
    assert by_tlv is not None and by_tlv.error == "REJECTD"


@pytest.mark.parametrize("stat", ["UNDELIV", "REJECTD", "EXPIRED"])
@pytest.mark.parametrize("message_state", [None, 2])
def test_undeliv_rejectd_and_expired_are_never_a_delivery(
    stat: str, message_state: int | None
) -> None:
    outcome = receipt_outcome(
        short_message=receipt(stat), receipted_message_id="12A", message_state=message_state
    )
    assert outcome is not None and outcome.state in ("failed", "expired")
    for tlv_state in (3, 5, 8):
        outcome = receipt_outcome(
            short_message=receipt("DELIVRD"), receipted_message_id=None, message_state=tlv_state
        )
        assert outcome is not None and outcome.state != "delivered"


def test_the_tlv_id_wins_and_both_ids_are_candidates() -> None:
    outcome = receipt_outcome(
        short_message=receipt("DELIVRD", message_id="298"),
        receipted_message_id="0000012A",
        message_state=2,
    )
    assert outcome is not None
    assert outcome.message_id == "12a"
    assert outcome.candidates[0] == "12a" and "298" in outcome.candidates


def test_a_receipt_naming_no_message_gives_nothing() -> None:
    assert (
        receipt_outcome(short_message=b"stat:DELIVRD", receipted_message_id=None, message_state=2)
        is None
    )
    assert receipt_outcome(short_message=b"", receipted_message_id=" ", message_state=None) is None


@settings(database=None, deadline=None)
@given(st.binary(max_size=200), st.none() | st.text(max_size=20), st.none() | st.integers(0, 255))
def test_no_receipt_ever_raises(octets: bytes, tlv: str | None, state: int | None) -> None:
    outcome = receipt_outcome(short_message=octets, receipted_message_id=tlv, message_state=state)
    if outcome is not None:
        assert outcome.message_id == outcome.candidates[0]
        assert outcome.state in (None, "delivered", "failed", "expired")
