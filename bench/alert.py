"""An alert from the API call to the air and to the SMSC, through `altavoz serve` and an
independent SMSC (the node-smpp simulator in tests/smsc), each figure beside its target.

A whole station runs in a temporary directory (`altavoz serve`, its local Icecast, every
worker, SMPP bound to the simulator); a listener (ffmpeg) decodes the mount. Printed:
(i)   API call to the attention tone's onset (853 + 960 Hz) at the listener, less the
      listener pipeline's own delay (encoder, Icecast, decoder) measured in the same run on a
      probe mount of the same Icecast. Target: <= 1 s.
(ii)  API call to the first submit_sm of an SMS alert arriving at the SMSC. Target: <= 0.5 s.
(iii) a 5,000-recipient alert: first to last submit_sm at the SMSC, against the time
      `smpp.max_tps` allows for 5,000 submits. Target: within 2%.

Run: `make bench`, or .venv/bin/python bench/alert.py (about 3 minutes; writes only under a
temporary directory, not even bytecode caches).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.dont_write_bytecode = True

from bench.playout import alert_latency  # noqa: E402
from gateway.database import utcnow  # noqa: E402
from tests.onair.hearing import pipeline_delay  # noqa: E402
from tests.onair.station import BED, SOURCE_PASSWORD, Station  # noqa: E402
from tests.playout.tones import Tones  # noqa: E402
from tests.smsc_harness import SmscSimulator, running_simulator  # noqa: E402
from tests.support import subscribe_phones  # noqa: E402

SYSTEM_ID, PASSWORD = "bench", "bench"
MAX_TPS = 100
BULK = 5000
SMALL = 10
TRIES = 3
AIR_TARGET_S = 1.0
FIRST_SMS_TARGET_S = 0.5
RATE_MARGIN = 0.02


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISSED"


def sms_alert(station: Station, region: str) -> float:
    """Send an SMS-only alert to `region`; the wall-clock time just before the API call."""
    called = time.time()
    station.call(
        "POST",
        "/alerts",
        {"text": "Alerta: crecida del rio", "regions": [region], "channels": ["sms"]},
        expect=201,
    )
    return called


def first_submit(smsc: SmscSimulator, prefix: str, *, count: int = 1, timeout: float) -> list[int]:
    """Arrival times (ms) of submits to numbers starting with `prefix`, once `count` came."""
    pdus = smsc.wait_for_pdus(
        "submit_sm",
        where=lambda pdu: str(pdu["destination_addr"]).startswith(prefix),
        count=count,
        timeout=timeout,
    )
    return sorted(int(pdu["at_ms"]) for pdu in pdus)


def measure(station: Station, smsc: SmscSimulator, tones: Tones) -> None:
    assert station.database is not None
    with station.database.session() as session:
        for n in range(TRIES):
            subscribe_phones(
                session, [f"+5255{n}00{k:05}" for k in range(SMALL)], f"Pueblo {n}", now=utcnow()
            )
        subscribe_phones(session, [f"+52559{k:07}" for k in range(BULK)], "Centro", now=utcnow())
    smsc.wait_for_sessions(lambda sessions: any(s["mode"] for s in sessions), timeout=30)

    pipeline = pipeline_delay(station.icecast_url, SOURCE_PASSWORD)
    listener = station.listen()
    sting = station.upload(tones.tone(3000, 1.0), kind="alert")
    on_air = [alert_latency(station, listener, sting) - pipeline for _ in range(TRIES)]

    first_sms = []
    for n in range(TRIES):
        called = sms_alert(station, f"Pueblo {n}")
        first_sms.append(first_submit(smsc, f"5255{n}00", timeout=10)[0] / 1000 - called)

    sms_alert(station, "Centro")
    arrivals = first_submit(smsc, "52559", count=BULK, timeout=BULK / MAX_TPS * 3 + 30)
    took = (arrivals[-1] - arrivals[0]) / 1000
    allowed = (BULK - 1) / MAX_TPS
    over = took / allowed - 1

    worst_air, worst_sms = max(on_air), max(first_sms)
    print("an alert through `altavoz serve`: on air at a listener, and at an SMSC simulator")
    print(f"  listener pipeline delay (probe mount, subtracted from (i)): {pipeline * 1000:.0f} ms")
    print(
        f"  (i)   API call -> attention tone at the listener: worst {worst_air:.2f} s, median "
        f"{statistics.median(on_air):.2f} s of {TRIES}; target <= {AIR_TARGET_S:.1f} s "
        f"{verdict(worst_air <= AIR_TARGET_S)}"
    )
    print(
        f"  (ii)  API call -> first submit_sm at the SMSC: worst {worst_sms * 1000:.0f} ms, "
        f"median {statistics.median(first_sms) * 1000:.0f} ms of {TRIES}; target <= "
        f"{FIRST_SMS_TARGET_S * 1000:.0f} ms {verdict(worst_sms <= FIRST_SMS_TARGET_S)}"
    )
    print(
        f"  (iii) {BULK} recipients at max_tps {MAX_TPS}: first to last submit_sm {took:.2f} s, "
        f"the rate allows {allowed:.2f} s ({over * 100:+.1f}%); target within "
        f"{RATE_MARGIN * 100:.0f}% {verdict(abs(over) <= RATE_MARGIN)}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="altavoz-bench-") as scratch:
        work = Path(scratch)
        tones = Tones(work / "tones")
        with running_simulator(system_id=SYSTEM_ID, password=PASSWORD) as smsc:
            environment = {
                "PYTHONDONTWRITEBYTECODE": "1",
                "ALTAVOZ_SMPP__ENABLED": "true",
                "ALTAVOZ_SMPP__HOST": "127.0.0.1",
                "ALTAVOZ_SMPP__PORT": str(smsc.smpp_port),
                "ALTAVOZ_SMPP__SYSTEM_ID": SYSTEM_ID,
                "ALTAVOZ_SMPP__PASSWORD": PASSWORD,
                "ALTAVOZ_SMPP__MAX_TPS": str(MAX_TPS),
                "ALTAVOZ_SMPP__DEFAULT_REGION": "MX",
            }
            with Station(work / "station", environment=environment) as station:
                station.air_fallback([tones.tone(f, 3.0) for f in BED])
                measure(station, smsc, tones)


if __name__ == "__main__":
    main()
