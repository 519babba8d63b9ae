"""The two-person rule: who may approve or reject a draft alert, and what approval does.

A false alert costs the trust the true ones need, so with `alerts.approvals_required = 1` an
alert waits as a draft until a second account says yes. `refusal` is the one rule, asked by
the panel (to show the buttons and again on the POST), the API and the command line: an
admin or operator, with an account (a token acts as its owner), who is not the drafter.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from gateway import audit
from gateway.accounts import Actor
from gateway.alert_models import Alert, AlertKind, AlertStatus
from gateway.alert_withdrawal import carry_out
from gateway.alerts import AlertError, AlertProblem, dispatch
from gateway.roles import STAFF, Role
from gateway.settings import Settings

MAX_REASON_CHARS = 500


class Refusal(StrEnum):
    """Why this actor may not decide on this alert; the value is the API's and CLI's words."""

    NOT_A_DRAFT = "only a draft can be approved or rejected"
    ROLE = "only an admin or an operator may approve or reject an alert"
    NO_ACCOUNT = "approving needs an account (a token acts as its owner's account)"
    OWN_DRAFT = "the account that drafted an alert cannot approve or reject it"


class ApprovalRefused(AlertError):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value, AlertProblem[refusal.name])
        self.refusal = refusal


def refusal(alert: Alert, *, actor_id: int | None, role: Role | None) -> Refusal | None:
    """None when this account may approve or reject the alert, else why not."""
    if alert.status != AlertStatus.DRAFT:
        return Refusal.NOT_A_DRAFT
    if role not in STAFF:
        return Refusal.ROLE
    if actor_id is None:
        return Refusal.NO_ACCOUNT
    if actor_id == alert.created_by_id:
        return Refusal.OWN_DRAFT
    return None


def approve(
    session: Session,
    alert: Alert,
    *,
    actor: Actor,
    role: Role | None,
    settings: Settings,
    now: datetime,
) -> None:
    """Send the draft now (SMS to the regions' subscribers as they are now, and on air)."""
    why = refusal(alert, actor_id=actor.id, role=role)
    if why is not None:
        raise ApprovalRefused(why)
    alert.status = AlertStatus.SENT
    alert.decided_by, alert.decided_by_id, alert.decided_at = actor.name, actor.id, now
    details: dict[str, object] = {"drafted_by": alert.created_by}
    if alert.kind in (AlertKind.CORRECTION, AlertKind.CANCEL):
        details.update(carry_out(session, alert, settings=settings, now=now))
    else:
        dispatch(session, alert, settings=settings, now=now)
        details["recipients"] = alert.recipients
    audit.record_by(
        session, actor, action="alert.approve", target=f"alert {alert.id}", details=details
    )


def reject(
    session: Session, alert: Alert, *, actor: Actor, role: Role | None, reason: str, now: datetime
) -> None:
    """Refuse the draft for good, saying why; nothing of it is ever sent."""
    why = refusal(alert, actor_id=actor.id, role=role)
    if why is not None:
        raise ApprovalRefused(why)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise AlertError(
            f"give a reason for the rejection (at most {MAX_REASON_CHARS} characters)",
            AlertProblem.REASON,
            limit=MAX_REASON_CHARS,
        )
    alert.status = AlertStatus.REJECTED
    alert.decided_by, alert.decided_by_id, alert.decided_at = actor.name, actor.id, now
    alert.reject_reason = reason
    audit.record_by(
        session,
        actor,
        action="alert.reject",
        target=f"alert {alert.id}",
        details={"drafted_by": alert.created_by, "reason": reason},
    )
