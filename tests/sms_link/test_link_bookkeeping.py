"""The link's pure parts: the submit window, backoff, what a submission may hold, and the
submit_sm octets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from smpplib import smpp
from smpplib.client import Client

from sms.link_events import Delivery, Submission
from sms.link_settings import LinkSettings
from sms.link_window import SubmitWindow
from sms.link_wire import encode_deliver_sm_resp, encode_submit_sm


def settings(**changes: object) -> LinkSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 2775,
        "system_id": "a",
        "password": "b",
    }
    return LinkSettings(**{**values, **changes})  # type: ignore[arg-type]


def test_window_matches_responses_by_sequence_in_any_order() -> None:
    window = SubmitWindow(size=3, timeout_s=10)
    for sequence, key in ((7, "a"), (8, "b"), (9, "c")):
        window.open(sequence, key, now=0.0)
    assert window.free == 0
    assert window.close(9) == "c"
    assert window.close(7) == "a"
    assert window.close(7) is None
    assert (window.free, len(window)) == (2, 1)


def test_full_window_refuses_another_submission() -> None:
    window = SubmitWindow(size=1, timeout_s=10)
    window.open(1, "a", now=0.0)
    with pytest.raises(OverflowError):
        window.open(2, "b", now=0.0)


def test_overdue_submissions_expire_and_their_late_responses_match_nothing() -> None:
    window = SubmitWindow(size=5, timeout_s=2.0)
    window.open(1, "early", now=0.0)
    window.open(2, "later", now=1.0)
    assert window.next_deadline() == 2.0
    assert window.expire(now=1.9) == []
    assert window.expire(now=2.0) == ["early"]
    assert window.next_deadline() == 3.0
    assert window.close(1) is None
    assert window.drain() == ["later"]
    assert window.next_deadline() is None


def test_reconnect_delay_doubles_up_to_the_maximum() -> None:
    link = settings(reconnect_initial_s=0.5, reconnect_max_s=5.0)
    delays = [link.reconnect_delay(failures) for failures in range(7)]
    assert delays == [0.0, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert link.reconnect_delay(10_000) == 5.0


@pytest.mark.parametrize(
    "changes",
    [
        {"window": 0},
        {"reconnect_initial_s": 0},
        {"reconnect_max_s": 0.1},
        {"response_timeout_s": 0},
    ],
)
def test_settings_that_would_stall_the_link_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        settings(**{"reconnect_initial_s": 0.5, **changes})


def test_submission_refuses_what_smpp_cannot_carry() -> None:
    with pytest.raises(ValueError, match="254"):
        Submission(key=1, destination_addr="521", short_message=bytes(255))
    with pytest.raises(ValueError, match="message_payload"):
        Submission(key=1, destination_addr="521", short_message=b"a", message_payload=b"b")
    with pytest.raises(ValueError, match="destination"):
        Submission(key=1, destination_addr="", short_message=b"a")
    assert len(Submission(key=1, destination_addr="521", short_message=bytes(254)).short_message)


@pytest.mark.parametrize(
    ("esm_class", "is_receipt"),
    [(0x00, False), (0x40, False), (0x04, True), (0x44, True), (0x20, True), (0x08, False)],
)
def test_receipts_are_told_from_mobile_originated_by_esm_class(
    esm_class: int, is_receipt: bool
) -> None:
    delivery = Delivery(
        source_addr="521",
        source_addr_ton=1,
        source_addr_npi=1,
        destination_addr="Altavoz",
        dest_addr_ton=5,
        dest_addr_npi=0,
        esm_class=esm_class,
        data_coding=0,
        protocol_id=0,
        short_message=b"",
        message_payload=None,
        receipted_message_id=None,
        message_state=None,
        network_error_code=None,
        sar=None,
        received_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert delivery.is_receipt is is_receipt


@hypothesis_settings(database=None, deadline=None, max_examples=200)
@given(
    st.fixed_dictionaries(
        {
            "source_addr_ton": st.integers(0, 255),
            "source_addr_npi": st.integers(0, 255),
            "source_addr": st.text(st.characters(max_codepoint=255), max_size=25),
            "dest_addr_ton": st.integers(0, 255),
            "dest_addr_npi": st.integers(0, 255),
            "destination_addr": st.text(st.characters(max_codepoint=255), max_size=25),
            "esm_class": st.integers(0, 255),
            "protocol_id": st.integers(0, 255),
            "registered_delivery": st.integers(0, 255),
            "data_coding": st.integers(0, 255),
            "short_message": st.binary(max_size=254),
        },
        optional={
            "validity_period": st.text(st.characters(max_codepoint=255), max_size=20),
            "priority_flag": st.integers(0, 255),
            "service_type": st.text(st.characters(max_codepoint=255), max_size=8),
        },
    ),
    st.integers(1, 0x7FFFFFFF),
)
def test_the_fast_submit_sm_is_octet_for_octet_what_smpplib_writes(
    fields: dict[str, Any], sequence: int
) -> None:
    pdu = smpp.make_pdu("submit_sm", client=Client("127.0.0.1", 1), **fields)
    pdu.sequence = sequence
    assert encode_submit_sm(dict(fields), sequence) == pdu.generate()


def test_a_submit_sm_with_tlvs_is_left_to_smpplib() -> None:
    assert encode_submit_sm({"destination_addr": "1", "sar_msg_ref_num": 7}, 1) is None
    assert encode_submit_sm({"destination_addr": b"1"}, 1) is None


@hypothesis_settings(database=None, deadline=None, max_examples=100)
@given(st.integers(1, 0x7FFFFFFF), st.sampled_from([0, 0x08, 0x64, 0x65]))
def test_the_fast_deliver_sm_resp_is_octet_for_octet_what_smpplib_writes(
    sequence: int, status: int
) -> None:
    pdu = smpp.make_pdu("deliver_sm_resp", client=Client("127.0.0.1", 1), status=status)
    pdu.sequence = sequence
    assert encode_deliver_sm_resp(sequence, status) == pdu.generate()
