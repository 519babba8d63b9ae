"""A whole station run as its operators run it — `altavoz serve` with its own local Icecast —
and driven as integrators drive it, through the HTTP API.

What aired is judged from outside, by listeners on the mount (tests/playout/listening.py);
the database is read only for what a person would read in the panel (the as-run log) or
find with `ps` (a worker's pid). No pytest here: bench/playout.py runs the same station.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import select

from audio.models import Recording
from gateway.database import Database, utcnow
from gateway.worker import WorkerHeartbeat, live_heartbeats
from playlists.icecast import IcecastError, fetch_mount_status
from playlists.models import AsRunEntry
from tests.loopback import free_port, wait_until
from tests.onair.hearing import heard_until, wait_for_sound
from tests.playout.listening import Listener

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PASSWORD = "onair-source"
MOUNT = "/onair.mp3"
BED = (200, 250)
"""Pitches of the fallback playlist the tests and the bench air between their slots."""


class ApiError(AssertionError):
    """The API answered with an unexpected status."""


class Station:
    """`altavoz serve` in `root` on free ports, with an API token; stop() or `with` ends it.

    `wrapper` goes in front of the command (e.g. `faketime`), `environment` adds variables."""

    def __init__(
        self,
        root: Path,
        *,
        timezone: str = "America/New_York",
        environment: Mapping[str, str] | None = None,
        wrapper: Sequence[str] = (),
    ) -> None:
        self.root = root
        self.web_port = free_port()
        self.icecast_port = free_port()
        self.icecast_dir = root / "icecast"
        self.database_url = f"sqlite:///{root / 'altavoz.db'}"
        self.wrapper = list(wrapper)
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "ALTAVOZ_DATABASE__URL": self.database_url,
            "ALTAVOZ_WEB__SECRET_KEY_FILE": str(root / "secret"),
            "ALTAVOZ_MEDIA__DIR": str(root / "media"),
            "ALTAVOZ_MEDIA__INBOX": str(root / "inbox"),
            "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(root / "models"),
            "ALTAVOZ_TRANSCRIPTION__WORKERS": "1",
            "ALTAVOZ_STREAM__ICECAST_URL": f"http://127.0.0.1:{self.icecast_port}",
            "ALTAVOZ_STREAM__LOCAL_ICECAST_DIR": str(self.icecast_dir),
            "ALTAVOZ_STREAM__MOUNT": MOUNT,
            "ALTAVOZ_STREAM__SOURCE_PASSWORD": SOURCE_PASSWORD,
            "ALTAVOZ_STATION__TIMEZONE": timezone,
            **(environment or {}),
        }
        self.token = ""
        self.database: Database | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.listeners: list[Listener] = []
        self.booked_until = utcnow()

    @property
    def icecast_url(self) -> str:
        return f"http://127.0.0.1:{self.icecast_port}"

    @property
    def stream_url(self) -> str:
        return f"{self.icecast_url}{MOUNT}"

    def _altavoz(self, *args: str) -> list[str]:
        return [*self.wrapper, sys.executable, "-m", "gateway.cli", *args]

    def start(self, *, timeout_s: float = 90) -> Station:
        """Start serve; return once the API, every worker and the mount's Icecast answer."""
        self.root.mkdir(parents=True, exist_ok=True)
        # `init` makes the first admin, who owns the harness's token.
        subprocess.run(
            self._altavoz("init"),
            env=self.env,
            cwd=self.root,
            capture_output=True,
            timeout=60,
            check=True,
        )
        created = subprocess.run(
            self._altavoz("token", "create", "onair-harness"),
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        self.token = created.stdout.strip().splitlines()[-1]
        with (self.root / "serve.log").open("ab") as log:
            self.process = subprocess.Popen(
                self._altavoz("serve", "--port", str(self.web_port)),
                env=self.env,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.database = Database(self.database_url)
        deadline = time.monotonic() + timeout_s
        wait_until(self._healthy, timeout_s=timeout_s, what=self._waiting("/healthz"), poll_s=0.1)
        wait_until(
            lambda: self._live_kinds() >= {"playout", "transcribe", "sms"},
            timeout_s=max(1.0, deadline - time.monotonic()),
            what=self._waiting("worker heartbeats"),
            poll_s=0.1,
        )
        wait_until(
            self.on_air,
            timeout_s=max(1.0, deadline - time.monotonic()),
            what=self._waiting("a source on the mount"),
            poll_s=0.05,
        )
        return self

    def _waiting(self, what: str) -> str:
        return f"{what} (serve.log: {self.log_tail()})"

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = (self.root / "serve.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"serve exited with {self.process.returncode}: {self.log_tail()}")
        try:
            url = f"http://127.0.0.1:{self.web_port}/healthz"
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(json.load(response).get("status") == "ok")
        except (OSError, ValueError):
            return False

    def _live_kinds(self) -> set[str]:
        assert self.database is not None
        return {beat.kind for beat in live_heartbeats(self.database, now=utcnow())}

    def on_air(self) -> bool:
        """Whether the mount has a source (listeners get 404 before that)."""
        try:
            return fetch_mount_status(self.icecast_url, MOUNT, timeout_s=1).has_source
        except IcecastError:
            return False

    def stop(self) -> None:
        """SIGTERM (serve stops every child), SIGKILL if that takes too long."""
        for listener in self.listeners:
            listener.stop()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.database is not None:
            self.database.dispose()
            self.database = None

    def __enter__(self) -> Station:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # The API, as an integration calls it.

    def call(
        self, method: str, path: str, body: object = None, *, expect: int | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}/api/v1{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        return self._send(request, expect)

    def _send(self, request: urllib.request.Request, expect: int | None) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        answer = json.loads(text) if text else None
        if expect is not None and status != expect:
            raise ApiError(f"{request.method} {request.full_url}: {status} {answer}")
        return status, answer

    def upload(self, path: Path, *, kind: str = "testimony", title: str | None = None) -> int:
        """POST /api/v1/recordings (multipart): the file is normalised and stored; its id."""
        boundary = uuid.uuid4().hex
        fields = {"title": title or path.stem, "kind": kind}
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        body = "".join(parts).encode() + head.encode() + path.read_bytes()
        body += f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}/api/v1/recordings",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        return int(self._send(request, 201)[1]["id"])

    def upload_many(self, paths: Sequence[Path], *, kinds: Sequence[str] = ()) -> list[int]:
        """Several uploads at once (the server imports them in parallel); their ids, in order.
        `kinds` gives each file's kind (default: all testimonies)."""
        chosen = list(kinds) or ["testimony"] * len(paths)
        with ThreadPoolExecutor(max_workers=3) as pool:
            return list(pool.map(lambda path, kind: self.upload(path, kind=kind), paths, chosen))

    def playlist(self, recording_ids: list[int], *, name: str, fallback: bool = False) -> int:
        body = {"name": name, "items": recording_ids, "mode": "ordered", "fallback": fallback}
        return int(self.call("POST", "/playlists", body, expect=201)[1]["id"])

    def schedule(
        self,
        start: datetime,
        *,
        playlist_id: int | None = None,
        recording_id: int | None = None,
        end: datetime | None = None,
        rrule: str = "",
        expect: int | None = 201,
    ) -> tuple[int, Any]:
        body: dict[str, object] = {"start": start.isoformat()}
        if playlist_id is not None:
            body["playlist_id"] = playlist_id
        if recording_id is not None:
            body["recording_id"] = recording_id
        if end is not None:
            body["end"] = end.isoformat()
        if rrule:
            body["rrule"] = rrule
        return self.call("POST", "/schedule", body, expect=expect)

    def air_fallback(self, paths: Sequence[Path]) -> int:
        """Upload `paths` as the fallback playlist; return once a listener hears it."""
        playlist = self.playlist(self.upload_many(paths), name="Fallback", fallback=True)
        tuned = self.listen()
        try:
            wait_for_sound(tuned, timeout_s=30)
        finally:
            tuned.stop()
        return playlist

    def book(self, seconds: float, *, lead_s: float = 4.0) -> tuple[datetime, datetime]:
        """A free stretch of `seconds` starting at least `lead_s` from now, on a whole second
        (as an operator schedules), after anything booked before; the slot's start and end."""
        earliest = max(utcnow() + timedelta(seconds=lead_s), self.booked_until)
        start = (earliest + timedelta(seconds=1)).replace(microsecond=0)
        end = start + timedelta(seconds=seconds)
        self.booked_until = end + timedelta(seconds=1)
        return start, end

    def alert(self, text: str, *, recording_id: int | None = None) -> int:
        body: dict[str, object] = {"text": text, "regions": [], "channels": ["air"]}
        if recording_id is not None:
            body["audio_recording_id"] = recording_id
        return int(self.call("POST", "/alerts", body, expect=201)[1]["id"])

    # What an operator reads in the panel, or finds with ps.

    def as_run(self) -> list[AsRunEntry]:
        assert self.database is not None
        with self.database.session() as session:
            rows = session.scalars(select(AsRunEntry).order_by(AsRunEntry.id))
            return list(rows)

    def media_file(self, recording_id: int) -> Path:
        assert self.database is not None
        with self.database.session() as session:
            recording = session.get(Recording, recording_id)
            assert recording is not None
            return self.root / "media" / recording.media_path

    def worker_pid(self, kind: str) -> int:
        """The pid of the live worker of `kind` (the one on air, not a standby), from its
        heartbeat."""
        assert self.database is not None
        with self.database.session() as session:
            beat = session.scalars(
                select(WorkerHeartbeat)
                .where(
                    WorkerHeartbeat.kind == kind,
                    WorkerHeartbeat.state.not_in(("stopped", "standby")),
                )
                .order_by(WorkerHeartbeat.beat_at.desc())
            ).first()
            assert beat is not None, f"no {kind} worker heartbeat"
            return beat.pid

    def icecast_pid(self) -> int:
        return int((self.icecast_dir / "icecast.pid").read_text().strip())

    # Listeners on the mount.

    def listen(self, *, timeout_s: float = 15) -> Listener:
        """A listener tuned in as soon as the mount has a source (before that: 404)."""
        wait_until(self.on_air, timeout_s=timeout_s, what="a source on the mount", poll_s=0.01)
        listener = Listener(self.stream_url, input_format="mp3")
        self.listeners.append(listener)
        return listener

    def follow(self, listener: Listener, *, until: float, timeout_s: float = 60) -> list[Listener]:
        """Listen until what went on air up to wall-clock `until` has been heard, tuning in
        again at once whenever the station drops the listener (as a player set to reconnect
        does); every listener used, in order."""
        listeners = [listener]
        deadline = time.monotonic() + timeout_s + max(0.0, until - time.time())
        while heard_until(listeners[-1]) < until:
            if time.monotonic() > deadline:
                raise AssertionError(f"the station was not heard again: {self.log_tail()}")
            if not listeners[-1].connected:
                listeners.append(self.listen(timeout_s=max(1.0, deadline - time.monotonic())))
            time.sleep(0.01)
        return listeners
