"""`altavoz serve` starts the panel and every worker, and one SIGTERM stops them all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gateway.database import Database, utcnow
from gateway.worker import live_heartbeats
from playlists.icecast import is_running

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def children_of(pid: int) -> list[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(line) for line in result.stdout.split()]


def icecast_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status-json.xsl", timeout=1) as r:
            return "icestats" in json.load(r)
    except (OSError, ValueError):
        return False


def station(tmp_path: Path, icecast_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{tmp_path / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(tmp_path / "media"),
        "ALTAVOZ_MEDIA__INBOX": str(tmp_path / "inbox"),
        "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(tmp_path / "models"),
        "ALTAVOZ_STREAM__ICECAST_URL": f"http://127.0.0.1:{icecast_port}",
        "ALTAVOZ_STREAM__LOCAL_ICECAST_DIR": str(tmp_path / "icecast"),
    }


@contextmanager
def serving(tmp_path: Path, port: int, icecast_port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`altavoz serve` with every worker and the local Icecast up and answering."""
    env = station(tmp_path, icecast_port)
    with (tmp_path / "serve.log").open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/altavoz"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    return bool(json.load(r)["status"] == "ok")
            except OSError:
                return False

        wait_for(healthy, 60, "the panel to answer /healthz")
        database = Database(env["ALTAVOZ_DATABASE__URL"])
        kinds = lambda: {beat.kind for beat in live_heartbeats(database, now=utcnow())}  # noqa: E731
        wait_for(lambda: kinds() >= {"playout", "transcribe", "sms"}, 60, "worker heartbeats")
        database.dispose()
        wait_for(lambda: icecast_answers(icecast_port), 30, "the local Icecast to answer")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_runs_web_workers_and_local_icecast_and_stops_them_all_on_sigterm(
    tmp_path: Path,
) -> None:
    port, icecast_port = free_port(), free_port()
    with serving(tmp_path, port, icecast_port) as process:
        children = children_of(process.pid)
        assert len(children) >= 5
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        for child in children:
            assert not is_running(child), f"child {child} still running"
        assert not icecast_answers(icecast_port)
        output = (tmp_path / "serve.log").read_text()
        assert "One-time password" in output
        assert "Traceback" not in output
        assert "cannot write to stream" not in output, "playout must stop before Icecast"
        assert "did not stop" not in output
        assert "supervisor: killing" not in output, "every child stops within its grace"


def test_when_serve_is_killed_outright_its_children_and_icecast_stop_and_free_the_ports(
    tmp_path: Path,
) -> None:
    port, icecast_port = free_port(), free_port()
    with serving(tmp_path, port, icecast_port) as process:
        children = children_of(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stopped = lambda: not any(is_running(child) for child in children)  # noqa: E731
        wait_for(stopped, 30, "the children to stop")
        wait_for(lambda: not icecast_answers(icecast_port), 15, "the local Icecast to stop")
    with serving(tmp_path, port, icecast_port) as again:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0
