"""`altavoz alert send|approve|reject|cancel|correct`: the same rules as the panel and the API.

With two-person approval on, the command line must say which account acts (`--user`, with
its password), or the rule could be walked round from a shell: `alert send` then makes a
draft under that account, and `alert approve` refuses the same account
(`gateway.alert_approval.refusal`, the one rule)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from gateway import accounts
from gateway.accounts import Actor
from gateway.alert_approval import approve, reject
from gateway.alert_models import Alert, AlertStatus
from gateway.alert_repeats import RepeatAsk, RepeatError
from gateway.alert_withdrawal import cancel_alert, correct_alert
from gateway.alerts import (
    AlertError,
    AlertRequest,
    alert_status,
    create_alert,
    reach_warnings,
    unreached_regions,
)
from gateway.cli_support import app_database, app_settings, cli_actor, fail, read_password
from gateway.database import utcnow
from gateway.roles import Role
from sms.compose import compose

F = TypeVar("F", bound=Callable[..., Any])
NEEDS_ACCOUNT = (
    "two-person approval is on (alerts.approvals_required = 1): name the account that acts "
    "with --user NAME"
)


def _who(
    user: str | None, password_file: Path | None, *, needed: bool
) -> tuple[Actor, Role | None]:
    """The account named by --user (its password checked), or the shell user when none is
    needed; an approval always needs one."""
    if user is None:
        if needed:
            fail(NEEDS_ACCOUNT, 2)
        return cli_actor(), None
    password = read_password(password_file)
    with app_database().session() as session:
        account = accounts.authenticate(session, user, password)
        if account is None:
            fail(f"the account {user!r} does not exist, is disabled, or the password is wrong")
        return Actor(id=account.id, name=account.username, address="cli"), account.role_enum


def _account_options(function: F) -> F:
    function = click.option(
        "--password-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="read the account's password from this file (else it is asked)",
    )(function)
    return click.option("--user", default=None, help="the account that acts")(function)


@click.group("alert")
def alert_group() -> None:
    """Urgent alerts by SMS and on air."""


def _repeat_options(function: F) -> F:
    function = click.option(
        "--repeat-until",
        default=None,
        metavar="TIME",
        help="last repeat by then, ISO 8601 with offset (default: alerts.repeat_until_min later)",
    )(function)
    return click.option(
        "--repeat-every",
        type=click.IntRange(min=0),
        default=None,
        metavar="MIN",
        help="on air again every MIN minutes (0: once; default alerts.repeat_every_min)",
    )(function)


@alert_group.command("send")
@click.option("--text", required=True, help="the alert")
@click.option("--region", "regions", multiple=True, help="a region to alert ('*' for all)")
@click.option("--air", is_flag=True, help="interrupt the stream to read it on air")
@click.option("--sms", "by_sms", is_flag=True, help="send it by SMS to the regions' subscribers")
@_repeat_options
@click.option(
    "--version",
    "versions",
    multiple=True,
    metavar="LANG=TEXT",
    help="the alert in another language, e.g. mam='...' (its speakers get it by SMS)",
)
@_account_options
@with_appcontext
def alert_send(
    text: str,
    regions: tuple[str, ...],
    air: bool,
    by_sms: bool,
    repeat_every: int | None,
    repeat_until: str | None,
    versions: tuple[str, ...],
    user: str | None,
    password_file: Path | None,
) -> None:
    """Send an urgent alert (both channels when neither --air nor --sms is given); a draft
    awaiting a second account's approval when two-person approval is on."""
    settings = app_settings()
    channels = [name for name, wanted in (("sms", by_sms), ("air", air)) if wanted] or [
        "sms",
        "air",
    ]
    try:
        request = AlertRequest.from_json(
            {
                "text": text,
                "regions": list(regions),
                "channels": channels,
                "repeat_every_min": repeat_every,
                "repeat_until": repeat_until,
                "versions": [_version(given) for given in versions],
            }
        )
    except AlertError as exc:
        fail(str(exc))
    actor, _role = _who(user, password_file, needed=settings.alerts.approvals_required > 0)
    with app_database().session() as session:
        try:
            alert = create_alert(session, request, settings=settings, actor=actor, now=utcnow())
        except AlertError as exc:
            session.rollback()
            fail(str(exc))
        alert_id, recipients, draft = alert.id, alert.recipients, alert.status == AlertStatus.DRAFT
        warnings = reach_warnings(unreached_regions(session, alert))
    if "sms" in channels:
        done = compose(request.text, settings=settings.smpp).summary
        if done:
            click.echo(done)
    if draft:
        click.echo(
            f"alert {alert_id}: draft, nothing sent; a second account approves it with "
            f"`altavoz alert approve {alert_id} --user NAME`"
        )
    else:
        click.echo(
            f"alert {alert_id}: {recipients} SMS recipient(s), channels {', '.join(channels)}"
        )
    for warning in warnings:
        click.echo(f"altavoz: warning: {warning}", err=True)


def _version(given: str) -> dict[str, str]:
    language, sep, text = given.partition("=")
    if not sep:
        raise AlertError(f"--version takes LANG=TEXT (such as mam=...), not {given!r}")
    return {"language": language, "text": text}


def _load(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        fail(f"there is no alert {alert_id}")
    return alert


@alert_group.command("approve")
@click.argument("alert_id", type=int)
@_account_options
@with_appcontext
def alert_approve(alert_id: int, user: str | None, password_file: Path | None) -> None:
    """Approve a draft alert: it goes out now. Never by the account that drafted it."""
    settings = app_settings()
    actor, role = _who(user, password_file, needed=True)
    with app_database().session() as session:
        alert = _load(session, alert_id)
        try:
            approve(session, alert, actor=actor, role=role, settings=settings, now=utcnow())
        except AlertError as exc:
            session.rollback()
            fail(str(exc))
        recipients = alert.recipients
    click.echo(f"alert {alert_id} approved by {actor.name}: {recipients} SMS recipient(s)")


@alert_group.command("reject")
@click.argument("alert_id", type=int)
@click.option("--reason", required=True, help="why it must not go out")
@_account_options
@with_appcontext
def alert_reject(alert_id: int, reason: str, user: str | None, password_file: Path | None) -> None:
    """Reject a draft alert, saying why: nothing of it is ever sent."""
    actor, role = _who(user, password_file, needed=True)
    with app_database().session() as session:
        alert = _load(session, alert_id)
        try:
            reject(session, alert, actor=actor, role=role, reason=reason, now=utcnow())
        except AlertError as exc:
            session.rollback()
            fail(str(exc))
    click.echo(f"alert {alert_id} rejected by {actor.name}")


@alert_group.command("cancel")
@click.argument("alert_id", type=int)
@_account_options
@with_appcontext
def alert_cancel(alert_id: int, user: str | None, password_file: Path | None) -> None:
    """Cancel a sent alert: its SMS not yet sent are withdrawn, those who got it are told."""
    settings = app_settings()
    actor, _role = _who(user, password_file, needed=False)
    with app_database().session() as session:
        original = _load(session, alert_id)
        try:
            record = cancel_alert(session, original, settings=settings, actor=actor, now=utcnow())
        except AlertError as exc:
            session.rollback()
            fail(str(exc))
        session.flush()
        withdrawn = alert_status(session, original, settings=settings, now=utcnow())["sms"]
        record_id, notified = record.id, record.recipients
    click.echo(
        f"alert {alert_id} cancelled (record {record_id}): {withdrawn['withdrawn']} SMS "
        f"withdrawn, {notified} notice(s) queued"
    )


@alert_group.command("correct")
@click.argument("alert_id", type=int)
@click.option("--text", required=True, help="the corrected alert")
@_repeat_options
@_account_options
@with_appcontext
def alert_correct(
    alert_id: int,
    text: str,
    repeat_every: int | None,
    repeat_until: str | None,
    user: str | None,
    password_file: Path | None,
) -> None:
    """Correct a sent alert: like cancel, with the corrected text in the notice and on air (a
    draft awaiting approval when two-person approval is on); it repeats on air as the original
    did unless --repeat-every/--repeat-until say otherwise."""
    settings = app_settings()
    try:
        repeat = RepeatAsk.from_json(
            {"repeat_every_min": repeat_every, "repeat_until": repeat_until}
        )
    except RepeatError as exc:
        fail(str(exc))
    actor, _role = _who(user, password_file, needed=settings.alerts.approvals_required > 0)
    with app_database().session() as session:
        original = _load(session, alert_id)
        try:
            record = correct_alert(
                session, original, text, settings=settings, actor=actor, now=utcnow(), repeat=repeat
            )
        except AlertError as exc:
            session.rollback()
            fail(str(exc))
        record_id, notified, status = record.id, record.recipients, record.status
    if status == AlertStatus.DRAFT:
        click.echo(f"correction {record_id} of alert {alert_id}: draft awaiting approval")
    else:
        click.echo(f"alert {alert_id} corrected (record {record_id}): {notified} notice(s) queued")
