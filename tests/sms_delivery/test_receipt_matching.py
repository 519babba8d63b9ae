"""Which segment a receipt marks, when the SMSC reuses ids or spells them two ways.

A receipt speaks of a message still awaiting one: never of an old message that is already
final, and one receipt marks one segment, whichever readings of its id exist.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from gateway.database import Database
from gateway.settings import Settings
from sms.models import OutboundSegment
from tests.sms_delivery.conftest import RunningWorker, queue_text, wait_until
from tests.smsc_harness import SmscSimulator

Station = Callable[..., tuple[Settings, Database]]
Start = Callable[[Settings, Database], RunningWorker]


def segment(database: Database, destination: str) -> tuple[str, str | None]:
    """(state, SMSC message id) of the one segment sent to `destination`."""
    with database.session() as session:
        row = session.execute(
            select(OutboundSegment.state, OutboundSegment.smsc_message_id).where(
                OutboundSegment.destination == destination
            )
        ).one()
        return row[0], row[1]


def receipt_applied(database: Database, destination: str) -> tuple[str, str | None]:
    """Wait until the segment to `destination` has its SMSC id and a final state; return both."""

    def applied() -> bool:
        state, message_id = segment(database, destination)
        return message_id is not None and state != "submitted"

    wait_until(applied, timeout=10, what=f"the receipt of the message to {destination}")
    return segment(database, destination)


def test_an_smsc_reusing_ids_after_a_restart_marks_the_new_message_not_the_old_one(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    smsc.configure(receipts=True, message_id_format="decimal", message_id_start=100)
    settings, database = make_station()
    start_worker(settings, database)
    queue_text(settings, database, "+525500000001", "Primera alerta")
    wait_until(
        lambda: segment(database, "+525500000001") == ("delivered", "100"),
        timeout=10,
        what="the first message delivered",
    )
    smsc.reset()  # the SMSC restarts: its ids start over
    smsc.configure(
        receipts=True,
        message_id_format="decimal",
        message_id_start=100,
        receipt_stat="UNDELIV",
    )
    queue_text(settings, database, "+525500000002", "Segunda alerta")
    assert receipt_applied(database, "+525500000002") == ("failed", "100")
    assert segment(database, "+525500000001") == ("delivered", "100")


def test_a_hex_id_in_the_text_marks_the_message_it_quotes_not_the_decimal_lookalike(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    """Responses say "16" and "22" (decimal); the receipt of 22 says "id:16" (22 in hex)."""
    smsc.configure(
        receipts=True,
        receipt_tlv=False,
        message_id_format="decimal",
        receipt_text_id_format="hex",
        message_id_start=16,
        receipt_delay_ms=60_000,
    )
    settings, database = make_station()
    start_worker(settings, database)
    queue_text(settings, database, "+525500000016", "Mensaje dieciseis")
    wait_until(
        lambda: segment(database, "+525500000016") == ("submitted", "16"),
        timeout=10,
        what="message 16 awaiting its receipt",
    )
    smsc.configure(message_id_start=22, receipt_delay_ms=0)
    queue_text(settings, database, "+525500000022", "Mensaje veintidos")
    assert receipt_applied(database, "+525500000022") == ("delivered", "22")
    assert segment(database, "+525500000016") == ("submitted", "16")
