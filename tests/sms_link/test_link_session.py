"""The SMPP link against a real SMSC (the Node.js simulator): bind, keep-alive, faults, stop."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest

from sms.link import LinkError, SmppLink, probe
from sms.link_events import Delivery, LinkState, Submission
from sms.link_settings import BindMode, LinkSettings
from tests.sms_link.conftest import HookPacing, RecordingEvents
from tests.smsc_harness import SmscSimulator

ESME_RINVPASWD = 0x0E
ESME_RBINDFAIL = 0x0D
ESME_RX_T_APPN = 0x64

Start = Callable[..., tuple[SmppLink, RecordingEvents]]


def test_binds_as_transceiver_and_unbinds_cleanly_on_stop(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    link, events = start_link(link_settings)
    events.wait_for_state(LinkState.BOUND)
    assert [s["mode"] for s in smsc.sessions()] == ["transceiver"]
    bind = smsc.pdus("bind_transceiver")[0]
    assert (bind["system_id"], bind["password"]) == ("altavoz", "s3cret")

    link.stop()
    events.wait_for_state(LinkState.DISCONNECTED)
    assert events.states == [
        LinkState.BINDING,
        LinkState.BOUND,
        LinkState.UNBINDING,
        LinkState.DISCONNECTED,
    ]
    assert len(smsc.pdus("unbind", "in")) == 1
    assert smsc.pdus("unbind_resp", "out")[0]["command_status"] == 0
    assert link.counters.faults == 0


def test_idle_link_keeps_alive_with_enquire_link(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    link, events = start_link(link_settings, enquire_link_interval_s=0.1)
    events.wait_for_state(LinkState.BOUND)
    smsc.wait_for_pdus("enquire_link", count=3)
    answered = smsc.wait_for_pdus("enquire_link_resp", count=3, direction="out")
    assert all(pdu["command_status"] == 0 for pdu in answered)
    assert link.state is LinkState.BOUND
    assert link.counters.faults == 0


def test_unanswered_enquire_link_is_taken_as_a_dead_link_and_rebound(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    link, events = start_link(link_settings, enquire_link_interval_s=0.1, response_timeout_s=0.3)
    events.wait_for_state(LinkState.BOUND)
    smsc.configure(ignore_enquire_link=True)
    events.wait_for_state(LinkState.DISCONNECTED)
    assert link.last_error is not None and "enquire_link_resp" in link.last_error
    smsc.configure(ignore_enquire_link=False)
    events.wait_for_state(LinkState.BOUND, occurrences=2)
    assert len(smsc.pdus("bind_transceiver")) == 2


def test_wrong_password_is_reported_and_retried_with_growing_backoff(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    link, events = start_link(link_settings, password="wrong")
    refusals = smsc.wait_for_pdus("bind_transceiver_resp", count=4, direction="out", timeout=10)
    assert {pdu["command_status"] for pdu in refusals} == {ESME_RINVPASWD}
    attempts = [pdu["at_ms"] for pdu in smsc.pdus("bind_transceiver", "in")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[2] > gaps[0] + 50, f"backoff did not grow: {gaps}"
    assert LinkState.BOUND not in events.states
    assert link.last_error is not None and "ESME_RINVPASWD" in link.last_error
    assert link.counters.faults >= 4


def test_probe_binds_and_unbinds_or_says_why_not(
    smsc: SmscSimulator, link_settings: LinkSettings
) -> None:
    probe(link_settings)
    assert len(smsc.pdus("unbind", "in")) == 1
    with pytest.raises(LinkError, match="refused bind_transceiver"):
        probe(LinkSettings(**{**link_settings.__dict__, "password": "wrong"}))
    with pytest.raises(LinkError, match="cannot reach"):
        probe(LinkSettings(**{**link_settings.__dict__, "port": smsc.control_port + 1}))


def test_dropped_connection_reconnects_and_reports_in_flight_submits_unknown(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    smsc.configure(response_delay_ms=60_000)
    link, events = start_link(link_settings, response_timeout_s=30.0)
    events.wait_for_state(LinkState.BOUND)
    for key in range(3):
        link.submit(Submission(key=key, destination_addr=f"52155500{key:02}", short_message=b"hi"))
    smsc.wait_for_pdus("submit_sm", count=3)

    assert smsc.drop(refuse_binds_ms=400) == 1
    events.wait_for("unknown", count=3)
    assert sorted(key for key, _ in events.of("unknown")) == [0, 1, 2]
    events.wait_for_state(LinkState.BOUND, occurrences=2, timeout=10)
    refused = [pdu["command_status"] for pdu in smsc.pdus("bind_transceiver_resp", "out")]
    assert refused[0] == 0 and refused[-1] == 0
    assert ESME_RBINDFAIL in refused, "binds during the refusal window must have been retried"

    smsc.configure(response_delay_ms=0)
    link.submit(Submission(key="again", destination_addr="5215550099", short_message=b"hi"))
    assert events.wait_for("submitted")[0][0] == "again"
    assert link.counters.faults >= 2


def test_stop_hands_back_submissions_that_never_went(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    asked: list[float] = []

    def never(now: float) -> float:
        asked.append(now)
        return now + 3600

    link, events = start_link(link_settings, pacing=HookPacing(never))
    events.wait_for_state(LinkState.BOUND)
    for key in ("a", "b"):
        link.submit(Submission(key=key, destination_addr="5215550000", short_message=b"x"))
    events.wait_until(lambda: len(asked) >= 1)
    link.stop()
    assert [key for key, _ in events.wait_for("unsent", count=2)] == ["a", "b"]
    assert smsc.pdus("submit_sm") == []
    with pytest.raises(LinkError):
        link.submit(Submission(key="late", destination_addr="5215550000"))


def test_transmitter_and_receiver_bind_as_two_sessions(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    smsc.configure(receipts=True)
    link, events = start_link(link_settings, bind_mode=BindMode.TRANSMITTER_AND_RECEIVER)
    events.wait_for_state(LinkState.BOUND)
    assert sorted(s["mode"] for s in smsc.sessions()) == ["receiver", "transmitter"]

    link.submit(Submission(key=1, destination_addr="5215550000", short_message=b"hola"))
    smsc.send_mo(source_addr="5215550001", destination_addr="Altavoz", short_message_hex="414c5441")
    message_id = events.wait_for("submitted")[0][1]
    receipt: Delivery = events.wait_for("receipt")[0][0]
    assert receipt.receipted_message_id == message_id
    inbound: Delivery = events.wait_for("inbound")[0][0]
    assert inbound.short_message == b"ALTA"
    by_session = {s["id"]: s["mode"] for s in smsc.sessions()}
    assert by_session[smsc.pdus("submit_sm")[0]["session"]] == "transmitter"
    assert {by_session[p["session"]] for p in smsc.pdus("deliver_sm_resp")} == {"receiver"}


class FailingInbound(RecordingEvents):
    def inbound(self, delivery: Delivery) -> None:
        raise RuntimeError("database is gone")


def test_deliver_sm_the_gateway_could_not_record_is_not_acknowledged(
    smsc: SmscSimulator, link_settings: LinkSettings
) -> None:
    events = FailingInbound()
    link = SmppLink(link_settings, events)
    raised: list[BaseException] = []

    def run() -> None:
        try:
            link.run()
        except BaseException as error:  # the test inspects whatever run() raised
            raised.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        events.wait_for_state(LinkState.BOUND)
        smsc.send_mo(source_addr="5215550001", destination_addr="Altavoz", short_message_hex="41")
        answer: list[dict[str, Any]] = smsc.wait_for_pdus("deliver_sm_resp")
    finally:
        link.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert answer[0]["command_status"] == ESME_RX_T_APPN
    assert len(raised) == 1 and "database is gone" in str(raised[0])


def test_a_link_that_acknowledges_later_answers_deliver_sm_only_when_told(
    smsc: SmscSimulator, link_settings: LinkSettings, start_link: Start
) -> None:
    link, events = start_link(link_settings, acknowledge_later=True)
    events.wait_for_state(LinkState.BOUND)
    for octets in ("41", "42"):
        smsc.send_mo(source_addr="5215550001", destination_addr="Altavoz", short_message_hex=octets)
    first, second = (delivery for delivery, _ in events.wait_for("inbound", count=2))
    assert first.ticket is not None and second.ticket is not None
    link.acknowledge([second.ticket], status=ESME_RX_T_APPN)
    link.acknowledge([first.ticket])
    answers = smsc.wait_for_pdus("deliver_sm_resp", count=2)
    sent = {p["sequence_number"]: p["short_message_hex"] for p in smsc.pdus("deliver_sm", "out")}
    assert [(sent[a["sequence_number"]], a["command_status"]) for a in answers] == [
        ("42", ESME_RX_T_APPN),
        ("41", 0),
    ]

    smsc.send_mo(source_addr="5215550001", destination_addr="Altavoz", short_message_hex="43")
    stale = events.wait_for("inbound", count=3)[2][0]
    smsc.drop()
    events.wait_for_state(LinkState.BOUND, occurrences=2)
    smsc.send_mo(source_addr="5215550001", destination_addr="Altavoz", short_message_hex="44")
    fresh = events.wait_for("inbound", count=4)[3][0]
    link.acknowledge([stale.ticket, fresh.ticket])
    answers = smsc.wait_for_pdus("deliver_sm_resp", count=3)
    assert len(answers) == 3, "the answer for a dropped connection went to the new one"
    assert answers[2]["session"] == smsc.sessions()[0]["id"]
