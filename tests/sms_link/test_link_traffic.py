"""Submits, responses, receipts and MO through the link, checked at the real SMSC's wire."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest

from sms.link import SmppLink
from sms.link_events import Delivery, LinkState, SarSegment, Submission
from sms.link_settings import LinkSettings
from tests.sms_link.conftest import HookPacing, RecordingEvents
from tests.smsc_harness import SmscSimulator

ESME_RINVDSTADR = 0x0B
ESME_RTHROTTLED = 0x58
ESME_RMSGQFUL = 0x14

Start = Callable[..., tuple[SmppLink, RecordingEvents]]


def bound_link(
    start_link: Start, settings: LinkSettings, **changes: object
) -> tuple[SmppLink, RecordingEvents]:
    link, events = start_link(settings, **changes)
    events.wait_for_state(LinkState.BOUND)
    return link, events


def submit_all(link: SmppLink, count: int, prefix: str = "") -> None:
    for n in range(count):
        link.submit(
            Submission(key=f"{prefix}{n}", destination_addr=f"521555{n:04}", short_message=b"x")
        )


def max_in_flight_at_smsc(smsc: SmscSimulator) -> int:
    """Submits received but not yet answered, at worst, in the SMSC's own log order."""
    in_flight = worst = 0
    for pdu in smsc.pdus():
        if pdu["command"] == "submit_sm" and pdu["direction"] == "in":
            in_flight += 1
        elif pdu["command"] == "submit_sm_resp" and pdu["direction"] == "out":
            in_flight -= 1
        worst = max(worst, in_flight)
    return worst


def test_window_of_ten_outpaces_one_at_a_time_and_never_exceeds_ten(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    smsc.configure(response_delay_ms=50)
    rates = {}
    for window, count in ((1, 10), (10, 100)):
        smsc.reset()
        smsc.configure(response_delay_ms=50)
        link, events = bound_link(start_link, link_settings, window=window)
        began = time.monotonic()
        submit_all(link, count, prefix=f"w{window}-")
        events.wait_for("submitted", count=count, timeout=20)
        rates[window] = count / (time.monotonic() - began)
        assert max_in_flight_at_smsc(smsc) == window
        link.stop()
    assert rates[10] > 4 * rates[1], rates


@pytest.mark.parametrize("status", [ESME_RTHROTTLED, ESME_RMSGQFUL])
def test_throttling_responses_are_reported_as_throttled(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start, status: int
) -> None:
    smsc.configure(throttle_first_n=3, throttle_status=status)
    link, events = bound_link(start_link, link_settings)
    submit_all(link, 5)
    events.wait_until(lambda: len(events.outcomes()) == 5)
    assert events.of("throttled") == [("0", status), ("1", status), ("2", status)]
    assert [key for key, _ in events.of("submitted")] == ["3", "4"]
    assert link.counters.throttled == 3


def test_throttling_refusals_do_not_stall_the_link_and_reach_the_pacing(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    """Every 5th submit refused with ESME_RMSGQFUL: the others keep flowing at full speed
    (before, each refusal stopped every submit for a second), and the pacing hears of each."""
    smsc.configure(throttle_every_n=5, throttle_status=ESME_RMSGQFUL)
    pacing = HookPacing(lambda now: now)
    link, events = bound_link(start_link, link_settings, pacing=pacing)
    started = time.monotonic()
    submit_all(link, 100)
    events.wait_until(lambda: len(events.outcomes()) == 100, timeout=10)
    elapsed = time.monotonic() - started
    assert len(events.of("throttled")) == 20 and len(events.of("submitted")) == 80
    assert elapsed < 0.8, f"100 submits with 20 refusals took {elapsed:.2f} s"
    assert sorted(pacing.answers) == [False] * 80 + [True] * 20
    assert link.state is LinkState.BOUND


def test_permanent_errors_are_reported_as_failed(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    smsc.configure(destination_errors={"5215550001": ESME_RINVDSTADR})
    link, events = bound_link(start_link, link_settings)
    submit_all(link, 3)
    events.wait_until(lambda: len(events.outcomes()) == 3)
    assert events.of("failed") == [("1", ESME_RINVDSTADR)]
    assert sorted(key for key, _ in events.of("submitted")) == ["0", "2"]


def test_submit_without_response_in_time_is_reported_unknown(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    smsc.configure(response_delay_ms=1500)
    link, events = bound_link(start_link, link_settings, response_timeout_s=0.3)
    sent_at = time.monotonic()
    link.submit(Submission(key="slow", destination_addr="5215550000", short_message=b"x"))
    assert events.wait_for("unknown")[0][0] == "slow"
    assert time.monotonic() - sent_at < 1.4, "reported unknown only when the answer came"
    smsc.wait_for_pdus("enquire_link")
    events.wait_until(lambda: link.counters.late_responses == 1, timeout=5)
    assert events.of("submitted") == []
    assert link.state is LinkState.BOUND


def test_octets_reach_the_smsc_exactly_as_given(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    link, events = bound_link(start_link, link_settings)
    udh_segment = bytes.fromhex("050003a70201") + bytes(range(0x00, 0x20)) + b"\x1b\x14\xff\x80"
    payload = bytes(range(256)) + bytes(range(44))
    link.submit(
        Submission(
            key="udh",
            destination_addr="5215550001",
            short_message=udh_segment,
            data_coding=0x08,
            esm_class=0x40,
            registered_delivery=1,
        )
    )
    link.submit(
        Submission(
            key="sar",
            destination_addr="5215550002",
            short_message="¿Dónde?".encode("utf-16-be"),
            data_coding=0x08,
            sar=SarSegment(reference=0x1234, total=3, sequence=2),
            source_addr="Radio",
            registered_delivery=0,
        )
    )
    link.submit(Submission(key="payload", destination_addr="5215550003", message_payload=payload))
    events.wait_for("submitted", count=3)

    udh, sar, long = smsc.pdus("submit_sm")
    assert udh["short_message_hex"] == udh_segment.hex()
    assert (udh["data_coding"], udh["esm_class"], udh["registered_delivery"]) == (8, 0x40, 1)
    assert (udh["source_addr"], udh["source_addr_ton"], udh["source_addr_npi"]) == ("Altavoz", 5, 0)
    assert (udh["destination_addr"], udh["dest_addr_ton"], udh["dest_addr_npi"]) == (
        "5215550001",
        1,
        1,
    )
    assert sar["short_message_hex"] == "¿Dónde?".encode("utf-16-be").hex()
    assert (sar["sar_msg_ref_num"], sar["sar_total_segments"], sar["sar_segment_seqnum"]) == (
        0x1234,
        3,
        2,
    )
    assert (sar["source_addr"], sar["registered_delivery"]) == ("Radio", 0)
    assert long["short_message_hex"] == ""
    assert long["message_payload_hex"] == payload.hex()


def test_pacing_hook_spaces_submits_without_busy_waiting(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    spacing = 0.1
    asked: list[float] = []
    next_slot = [0.0]

    def every_tenth_of_a_second(now: float) -> float:
        asked.append(now)
        if now >= next_slot[0]:
            next_slot[0] = now + spacing
            return now
        return next_slot[0]

    link, events = bound_link(start_link, link_settings, pacing=HookPacing(every_tenth_of_a_second))
    submit_all(link, 5)
    events.wait_for("submitted", count=5)
    arrivals = [pdu["at_ms"] for pdu in smsc.pdus("submit_sm")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= spacing * 1000 * 0.8, gaps
    assert len(asked) < 40, f"the hook was polled {len(asked)} times: busy-waiting"


@pytest.mark.parametrize("with_tlv", [True, False])
def test_receipts_reach_the_events_with_or_without_tlvs(
    smsc: SmscSimulator,
    link_settings: LinkSettings,
    start_link: Start,
    with_tlv: bool,
) -> None:
    smsc.configure(
        receipts=True,
        receipt_tlv=with_tlv,
        receipt_text_id_format="decimal",
        receipt_stat_by_destination={"5215550001": "UNDELIV"},
    )
    link, events = bound_link(start_link, link_settings)
    submit_all(link, 2)
    submitted = dict(events.wait_for("submitted", count=2))
    receipts: dict[str, Delivery] = {
        delivery.source_addr: delivery for delivery, _ in events.wait_for("receipt", count=2)
    }
    for destination, key, stat, state in (
        ("5215550000", "0", "DELIVRD", 2),
        ("5215550001", "1", "UNDELIV", 5),
    ):
        receipt = receipts[destination]
        assert receipt.is_receipt and receipt.esm_class == 0x04
        assert receipt.destination_addr == "Altavoz"
        text = receipt.short_message.decode("ascii")
        assert text.startswith(f"id:{int(submitted[key], 16)} sub:001 ")
        assert f" stat:{stat} " in text
        if with_tlv:
            assert (receipt.receipted_message_id, receipt.message_state) == (submitted[key], state)
        else:
            assert (receipt.receipted_message_id, receipt.message_state) == (None, None)
    answers = smsc.wait_for_pdus("deliver_sm_resp", count=2)
    assert {pdu["command_status"] for pdu in answers} == {0}
    assert link.counters.receipts == 2


def test_mobile_originated_messages_reach_the_events_raw_and_are_acknowledged(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    link, events = bound_link(start_link, link_settings)
    segment = bytes.fromhex("050003420201") + "ALTA Oaxaca".encode("utf-16-be")
    sent = smsc.send_mo(
        source_addr="5219510000000",
        destination_addr="Altavoz",
        data_coding=8,
        esm_class=0x40,
        short_message_hex=segment.hex(),
    )
    smsc.send_mo(
        source_addr="5219510000001",
        destination_addr="Altavoz",
        short_message_hex="42414a41",
        sar_msg_ref_num=7,
        sar_total_segments=2,
        sar_segment_seqnum=1,
    )
    first, second = (delivery for delivery, _ in events.wait_for("inbound", count=2))
    assert not first.is_receipt
    assert (first.short_message, first.data_coding, first.esm_class) == (segment, 8, 0x40)
    assert (first.source_addr, first.source_addr_ton) == ("5219510000000", 1)
    assert first.received_at.tzinfo is not None
    assert second.short_message == b"BAJA"
    assert second.sar == SarSegment(reference=7, total=2, sequence=1)
    answers = smsc.wait_for_pdus("deliver_sm_resp", count=2)
    assert answers[0]["sequence_number"] == sent["sequence_number"]
    assert {pdu["command_status"] for pdu in answers} == {0}
    assert link.counters.inbound == 2
