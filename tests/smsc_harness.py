"""Start, steer and stop the Node.js SMSC simulator in tests/smsc, a real SMPP server.

Tests talk SMPP to it through the code under test, and check what it saw (the exact octets of
every PDU) through its JSON control channel. Only the standard library is used here, so the
harness works wherever the tests do.
"""

from __future__ import annotations

import json
import selectors
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIMULATOR_DIR = Path(__file__).resolve().parent / "smsc"
READY_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
NPM_TIMEOUT_S = 300.0

Pdu = dict[str, Any]


class SimulatorError(RuntimeError):
    """The simulator could not be installed or started, or refused a control request."""


def ensure_node_modules(directory: Path = SIMULATOR_DIR) -> None:
    """Install the simulator's locked npm dependencies once, so a fresh clone can run tests."""
    if (directory / "node_modules" / "smpp" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SimulatorError("npm is not installed: the SMSC simulator needs Node.js and npm")
    completed = subprocess.run(
        [npm, "ci", "--prefix", str(directory), "--no-audit", "--no-fund", "--loglevel=error"],
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        raise SimulatorError(f"npm ci failed in {directory}: {completed.stderr.strip()}")


@dataclass
class SmscSimulator:
    """A running simulator: its SMPP port, and a client for its control channel."""

    process: subprocess.Popen[str]
    smpp_port: int
    control_port: int
    system_id: str
    password: str
    host: str = field(default="127.0.0.1")

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://{self.host}:{self.control_port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise SimulatorError(
                f"{method} {path}: {error.code} {error.read().decode()}"
            ) from error

    def pdus(self, command: str | None = None, direction: str | None = None) -> list[Pdu]:
        """Every PDU the SMSC received ("in") or sent ("out"), oldest first."""
        query = "&".join(
            f"{name}={value}"
            for name, value in (("command", command), ("direction", direction))
            if value
        )
        answer: list[Pdu] = self._request("GET", f"/pdus?{query}")["pdus"]
        return answer

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change how the SMSC behaves (see tests/smsc/state.js for every setting)."""
        config: dict[str, Any] = self._request("POST", "/config", settings)["config"]
        return config

    def send_mo(self, **fields: Any) -> dict[str, Any]:
        """Send a deliver_sm to the bound receiver; short_message_hex carries the raw octets."""
        sent: dict[str, Any] = self._request("POST", "/mo", fields)
        return sent

    def send_mo_batch(self, texts: list[str], **fields: Any) -> list[dict[str, Any]]:
        """Send one deliver_sm per ASCII text, all written at once (a burst)."""
        sent: list[dict[str, Any]] = self._request("POST", "/mo_batch", {"texts": texts, **fields})[
            "sent"
        ]
        return sent

    def drop(self, *, refuse_binds_ms: int = 0) -> int:
        """Cut every connection abruptly; optionally refuse binds for a while afterwards."""
        dropped: int = self._request("POST", "/drop", {"refuse_binds_ms": refuse_binds_ms})[
            "dropped"
        ]
        return dropped

    def reset(self) -> None:
        """Forget the PDU log and every setting; connections stay up."""
        self._request("POST", "/reset", {})

    def sessions(self) -> list[dict[str, Any]]:
        """The open connections, with their bind mode (None until bound)."""
        listed: list[dict[str, Any]] = self._request("GET", "/sessions")["sessions"]
        return listed

    def wait_for_pdus(
        self,
        command: str,
        *,
        count: int = 1,
        direction: str = "in",
        where: Callable[[Pdu], bool] = lambda pdu: True,
        timeout: float = 5.0,
    ) -> list[Pdu]:
        """Poll the log until `count` matching PDUs were seen, or fail at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            found = [pdu for pdu in self.pdus(command, direction) if where(pdu)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"saw {len(found)} {direction} {command}, wanted {count}")
            time.sleep(0.02)

    def wait_for_sessions(
        self, where: Callable[[list[dict[str, Any]]], bool], *, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Poll the open connections until `where` holds, or fail at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            sessions = self.sessions()
            if where(sessions):
                return sessions
            if time.monotonic() > deadline:
                raise AssertionError(f"sessions never matched: {sessions}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Terminate the process, killing it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        if self.process.stdout is not None:
            self.process.stdout.close()


def busiest_second(arrivals_ms: list[int]) -> int:
    """The most PDUs any sliding 1 s window held, as the SMSC counts arrivals (`at_ms`, sorted):
    arrivals less than 1000 ms apart share a window."""
    busiest, first = 0, 0
    for last, at in enumerate(arrivals_ms):
        while at - arrivals_ms[first] >= 1000:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def _read_ready_line(process: subprocess.Popen[str], deadline: float) -> dict[str, int]:
    """Wait for the one "ready {...}" line, without blocking past the deadline."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SimulatorError("the SMSC simulator did not print 'ready' in time")
            if not selector.select(remaining):
                continue
            line = process.stdout.readline()
            if not line:
                raise SimulatorError(
                    f"the SMSC simulator exited ({process.wait()}); see its stderr in the output"
                )
            if line.startswith("ready "):
                ports: dict[str, int] = json.loads(line.removeprefix("ready "))
                return ports


def start_simulator(
    *, system_id: str = "altavoz", password: str = "secret", port: int = 0, control_port: int = 0
) -> SmscSimulator:
    """Start the simulator on loopback; port 0 lets the OS pick free ports, with no race."""
    ensure_node_modules()
    node = shutil.which("node")
    if node is None:
        raise SimulatorError("node is not installed: the SMSC simulator needs Node.js")
    process = subprocess.Popen(
        [
            node,
            str(SIMULATOR_DIR / "simulator.js"),
            "--port",
            str(port),
            "--control-port",
            str(control_port),
            "--system-id",
            system_id,
            "--password",
            password,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ports = _read_ready_line(process, time.monotonic() + READY_TIMEOUT_S)
    except BaseException:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
        raise
    return SmscSimulator(
        process=process,
        smpp_port=ports["smpp_port"],
        control_port=ports["control_port"],
        system_id=system_id,
        password=password,
    )


@contextmanager
def running_simulator(
    *, system_id: str = "altavoz", password: str = "secret"
) -> Iterator[SmscSimulator]:
    """A simulator for the length of a `with` block, stopped however the block ends."""
    simulator = start_simulator(system_id=system_id, password=password)
    try:
        yield simulator
    finally:
        simulator.stop()
