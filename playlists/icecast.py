"""A local Icecast 2.4 server for the embedded default and for the tests, and its status.

Debian's icecast2 refuses to run as root ("You should not run icecast2 as root") unless the
config carries a `<security><changeowner>` block. When we are root, the generated config asks
Icecast to drop to the packaged `icecast2` user after binding its socket. Icecast opens its
log files only *after* changing user, and a temporary directory owned by root is usually not
reachable by that user; so both logs go to stderr ("-"), which we redirect into a file the
parent opened. The pid file is written before the change of owner, so it stays in our
directory too. Icecast binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from xml.etree import ElementTree

from gateway.parent_death import stop_with_parent

ICECAST_BINARY = "icecast2"
"""Debian's name for the Icecast 2.4 server."""

PACKAGED_USER = "icecast2"
"""The unprivileged account Debian's package creates; used only when we run as root."""

PACKAGED_GROUP = "icecast"


class IcecastError(RuntimeError):
    """Icecast could not be started, stopped or asked for its status."""


@dataclass(frozen=True, kw_only=True)
class IcecastSettings:
    """What a station needs to say about its own Icecast; defaults suit a single small station."""

    port: int = 8000
    bind_address: str = "127.0.0.1"
    hostname: str = "127.0.0.1"
    source_password: str
    admin_user: str = "admin"
    admin_password: str
    mount: str = "/altavoz"
    max_listeners: int = 100
    max_sources: int = 4
    location: str = "Altavoz"
    admin_email: str = "radio@localhost"
    source_timeout_s: int = 10
    burst_size_bytes: int = 65536
    standby_mount: str | None = None
    """A hidden mount (fed by playlists/standby_stream.py) that listeners of `mount` move to
    while it has no source, and back from as soon as it has one again: a playout restart
    or reconnection then never disconnects them."""

    @property
    def base_url(self) -> str:
        return f"http://{self.hostname}:{self.port}"


def stop_process(process: subprocess.Popen[bytes] | None, *, timeout_s: float = 5.0) -> None:
    """Terminate a server process we started, killing it if it has not gone in `timeout_s`."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)


def config_xml(settings: IcecastSettings, *, directory: Path, run_as: str | None) -> str:
    """The icecast.xml text; `run_as` names the user to drop to when started as root."""
    root = ElementTree.Element("icecast")
    _leaf(root, "location", settings.location)
    _leaf(root, "admin", settings.admin_email)
    limits = ElementTree.SubElement(root, "limits")
    _leaf(limits, "clients", str(settings.max_listeners + settings.max_sources + 4))
    _leaf(limits, "sources", str(settings.max_sources))
    _leaf(limits, "queue-size", "524288")
    _leaf(limits, "client-timeout", "30")
    _leaf(limits, "header-timeout", "15")
    _leaf(limits, "source-timeout", str(settings.source_timeout_s))
    _leaf(limits, "burst-on-connect", "1")
    _leaf(limits, "burst-size", str(settings.burst_size_bytes))
    auth = ElementTree.SubElement(root, "authentication")
    _leaf(auth, "source-password", settings.source_password)
    _leaf(auth, "admin-user", settings.admin_user)
    _leaf(auth, "admin-password", settings.admin_password)
    _leaf(root, "hostname", settings.hostname)
    listen = ElementTree.SubElement(root, "listen-socket")
    _leaf(listen, "port", str(settings.port))
    _leaf(listen, "bind-address", settings.bind_address)
    mount = ElementTree.SubElement(root, "mount", {"type": "normal"})
    _leaf(mount, "mount-name", settings.mount)
    _leaf(mount, "max-listeners", str(settings.max_listeners))
    if settings.standby_mount is not None:
        _leaf(mount, "fallback-mount", settings.standby_mount)
        _leaf(mount, "fallback-override", "1")
        standby = ElementTree.SubElement(root, "mount", {"type": "normal"})
        _leaf(standby, "mount-name", settings.standby_mount)
        _leaf(standby, "hidden", "1")
        _leaf(standby, "public", "0")
    _leaf(root, "fileserve", "1")
    paths = ElementTree.SubElement(root, "paths")
    _leaf(paths, "basedir", "/usr/share/icecast2")
    _leaf(paths, "logdir", str(directory / "log"))
    _leaf(paths, "webroot", "/usr/share/icecast2/web")
    _leaf(paths, "adminroot", "/usr/share/icecast2/admin")
    _leaf(paths, "pidfile", str(directory / "icecast.pid"))
    logging = ElementTree.SubElement(root, "logging")
    _leaf(logging, "accesslog", "-")
    _leaf(logging, "errorlog", "-")
    _leaf(logging, "loglevel", "3")
    security = ElementTree.SubElement(root, "security")
    _leaf(security, "chroot", "0")
    if run_as is not None:
        owner = ElementTree.SubElement(security, "changeowner")
        _leaf(owner, "user", run_as)
        _leaf(owner, "group", PACKAGED_GROUP)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode") + "\n"


def _leaf(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def write_config(settings: IcecastSettings, directory: Path) -> Path:
    """Write icecast.xml (and the log directory Icecast insists on) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "log").mkdir(exist_ok=True)
    path = directory / "icecast.xml"
    run_as = _packaged_user() if os.geteuid() == 0 else None
    path.write_text(config_xml(settings, directory=directory, run_as=run_as), encoding="utf-8")
    return path


def _packaged_user() -> str:
    try:
        pwd.getpwnam(PACKAGED_USER)
    except KeyError as exc:
        raise IcecastError(
            f"running as root needs the {PACKAGED_USER!r} account (install Debian's icecast2)"
        ) from exc
    return PACKAGED_USER


@dataclass(frozen=True)
class MountStatus:
    """What the "On air" page shows about one mount point."""

    mount: str
    has_source: bool
    listeners: int
    stream_start: datetime | None


@dataclass(frozen=True)
class ServerCounters:
    """Server-wide counters from /admin/stats; `source_client_connections` counts every
    source that ever connected, so a persistent playout connection keeps it at one."""

    source_client_connections: int
    sources: int
    listeners: int


def parse_mount_status(document: Mapping[str, Any], mount: str) -> MountStatus:
    """Find `mount` in a decoded /status-json.xsl document.

    Icecast gives one source as an object and several as a list."""
    sources = document.get("icestats", {}).get("source", [])
    if isinstance(sources, Mapping):
        sources = [sources]
    for source in sources:
        if str(source.get("listenurl", "")).endswith(mount):
            started = source.get("stream_start_iso8601")
            return MountStatus(
                mount=mount,
                has_source=True,
                listeners=int(source.get("listeners", 0)),
                stream_start=datetime.strptime(started, "%Y-%m-%dT%H:%M:%S%z") if started else None,
            )
    return MountStatus(mount=mount, has_source=False, listeners=0, stream_start=None)


def fetch_mount_status(base_url: str, mount: str, *, timeout_s: float = 2.0) -> MountStatus:
    """Ask a running Icecast (no credentials needed) about one mount."""
    url = f"{base_url}/status-json.xsl"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            document = json.loads(response.read().decode("utf-8", errors="replace"))
    except (OSError, ValueError) as exc:
        raise IcecastError(f"cannot read {url}: {exc}") from exc
    return parse_mount_status(document, mount)


def fetch_server_counters(settings: IcecastSettings, *, timeout_s: float = 2.0) -> ServerCounters:
    """Read /admin/stats with the admin credentials."""
    url = f"{settings.base_url}/admin/stats"
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url, settings.admin_user, settings.admin_password)
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager))
    try:
        with opener.open(url, timeout=timeout_s) as response:
            tree = ElementTree.fromstring(response.read())
    except (OSError, ElementTree.ParseError) as exc:
        raise IcecastError(f"cannot read {url}: {exc}") from exc

    def number(tag: str) -> int:
        return int(tree.findtext(tag) or 0)

    return ServerCounters(
        source_client_connections=number("source_client_connections"),
        sources=number("sources"),
        listeners=number("listeners"),
    )


def is_running(pid: int) -> bool:
    """False once the process is gone or only a zombie waiting for its new parent to reap it."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return status.rpartition(")")[2].split()[0] != "Z"


class IcecastServer:
    """One icecast2 process with its config, pid file and log in `directory`."""

    def __init__(self, settings: IcecastSettings, directory: Path) -> None:
        self.settings = settings
        self.directory = directory
        self.log_path = directory / "log" / "icecast.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout_s: float = 10.0) -> None:
        """Start Icecast and return once it answers HTTP; raise with its log otherwise."""
        if self._process is not None:
            raise IcecastError("Icecast is already running")
        binary = shutil.which(ICECAST_BINARY)
        if binary is None:
            raise IcecastError(f"{ICECAST_BINARY} is not installed")
        config = write_config(self.settings, self.directory)
        self._stop_leftover(config)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [binary, "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=stop_with_parent(),
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise IcecastError(f"icecast2 exited at start: {self.log_tail()}")
            if self.answers():
                return
            time.sleep(0.05)
        self.stop()
        raise IcecastError(f"icecast2 did not answer within {timeout_s} s: {self.log_tail()}")

    def _stop_leftover(self, config: Path, *, timeout_s: float = 5.0) -> None:
        """Stop an Icecast that this directory's previous manager left running.

        If the manager was killed outright, its Icecast (no longer asked to die with it once it
        changed user) still holds the port, and a new one would fail to bind. Only a process
        whose command line names this very config is touched, never a reused pid.
        """
        try:
            pid = int((self.directory / "icecast.pid").read_text(encoding="utf-8").strip())
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if os.fsencode(str(config)) not in arguments:
            return
        for signum, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, timeout_s)):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                if not is_running(pid):
                    return
                time.sleep(0.05)

    def answers(self) -> bool:
        """True once the status page is complete: for a moment after start Icecast 2.4.4
        serves it before its own server fields exist, as invalid JSON."""
        try:
            url = f"{self.settings.base_url}/status-json.xsl"
            with urllib.request.urlopen(url, timeout=0.5) as response:
                document = json.loads(response.read().decode("utf-8", errors="replace"))
        except (urllib.error.URLError, OSError, ValueError):
            return False
        stats = document.get("icestats")
        return isinstance(stats, dict) and "server_id" in stats

    def stop(self, *, timeout_s: float = 5.0) -> None:
        """Terminate Icecast, killing it if it has not gone within `timeout_s`."""
        process, self._process = self._process, None
        stop_process(process, timeout_s=timeout_s)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> IcecastServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
