"""The supervisor stops the local Icecast only after the workers that stream to it."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from gateway.supervisor import ChildSpec, Supervisor

CHILD = """
import signal, sys, time
from pathlib import Path
log, name, linger = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
def stop(*_):
    with log.open("a") as out:
        out.write(name + " asked\\n")
    time.sleep(linger)
    with log.open("a") as out:
        out.write(name + " gone\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
with log.open("a") as out:
    out.write(name + " ready\\n")
while True:
    time.sleep(0.05)
"""


def test_children_marked_stop_last_are_told_to_stop_after_the_others_have_ended(
    tmp_path: Path,
) -> None:
    log = tmp_path / "order.log"
    argv = [sys.executable, "-c", CHILD, str(log)]
    supervisor = Supervisor(
        [
            ChildSpec("icecast", [*argv, "icecast", "0"], stop_last=True),
            ChildSpec("playout", [*argv, "playout", "0.5"]),
        ],
        grace_s=10,
    )
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not log.exists() or log.read_text().count("ready") < 2):
        time.sleep(0.05)
    supervisor._on_signal(signal.SIGTERM, None)
    runner.join(15)
    assert not runner.is_alive()
    events = [line for line in log.read_text().splitlines() if not line.endswith("ready")]
    assert events == ["playout asked", "playout gone", "icecast asked", "icecast gone"]
