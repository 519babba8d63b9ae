"""Long-running commands: serve, worker, web, doctor."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.cli_support import app_database, app_settings, fail
from gateway.doctor import Outcome, run_checks
from gateway.first_run import announce_first_admin, bootstrap
from gateway.supervisor import ChildSpec, Supervisor
from gateway.workers import WorkerKind, build_worker, process_count


def _self_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "gateway.cli", *args]


@click.command("serve")
@click.option("--host", default=None, help="address of the web panel (default from config)")
@click.option("--port", default=None, type=int, help="port of the web panel (default from config)")
@with_appcontext
def serve_command(host: str | None, port: int | None) -> None:
    """Run the web panel, the API and every worker."""
    settings = app_settings()
    announce_first_admin(bootstrap(app_database()))
    host = host or settings.web.host
    port = port or settings.web.port
    specs = [ChildSpec("web", _self_argv("web", "--host", host, "--port", str(port)))]
    if settings.stream.runs_local_icecast:
        specs.append(ChildSpec("icecast", _self_argv("icecast"), stop_last=True))
    for kind in WorkerKind:
        count = process_count(kind, settings)
        name = kind.value if count == 1 else f"{kind.value}-{{}}"
        argv = _self_argv("worker", kind.value)
        specs += [ChildSpec(name.format(n), argv) for n in range(1, count + 1)]
    click.echo(f"Altavoz panel on http://{host}:{port}/  (Ctrl-C stops everything)")
    supervisor = Supervisor(specs)
    supervisor.install_signal_handlers()
    raise SystemExit(supervisor.run())


@click.command("worker")
@click.argument("kind", type=click.Choice([kind.value for kind in WorkerKind]))
@click.option("--once", is_flag=True, help="stop when there is nothing left to do")
@with_appcontext
def worker_command(kind: str, once: bool) -> None:
    """Run one worker alone (playout, transcribe, sms or monitor)."""
    worker = build_worker(WorkerKind(kind), app_settings(), app_database())
    worker.claim_process()
    worker.install_signal_handlers()
    worker.run(once=once)


@click.command("web", hidden=True)
@click.option("--host", required=True)
@click.option("--port", required=True, type=int)
@with_appcontext
def web_command(host: str, port: int) -> None:
    """Serve the panel and the API with waitress (used by serve)."""
    from gateway.web.body_limit import create_web_server

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    server = create_web_server(app, host=host, port=port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.run()


@click.command("icecast", hidden=True)
@with_appcontext
def icecast_command() -> None:
    """Run the local Icecast of the embedded default until told to stop (used by serve)."""
    from playlists.icecast import IcecastError, IcecastServer
    from playlists.standby_stream import StandbySource
    from playlists.stream_config import icecast_settings, output_settings, standby_mount

    settings = app_settings()
    directory = settings.stream.local_icecast_dir.resolve()
    server = IcecastServer(icecast_settings(settings), directory)
    standby = StandbySource(
        output_settings(settings), standby_mount(settings), directory / "log" / "standby.log"
    )
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.start()
    except IcecastError as exc:
        fail(f"cannot start the local Icecast: {exc}")
    click.echo(f"Icecast on {settings.stream.icecast_url}{settings.stream.mount}")
    try:
        while True:
            standby.ensure_running()
            if stopping.wait(1.0):
                break
            if not server.running:
                fail(f"the local Icecast stopped: {server.log_tail(5)}")
    finally:
        standby.stop()
        server.stop()


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check ffmpeg, libVLC, Icecast, the database (and the SMSC, models); exit 1 on a failure."""
    failed = False
    for result in run_checks(app_settings(), app_database()):
        failed = failed or result.outcome is Outcome.FAIL
        click.echo(f"{result.outcome.value:<4}  {result.name:<10} {result.detail}")
    raise SystemExit(1 if failed else 0)
