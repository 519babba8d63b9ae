"""The panel's navigation: every section, and who sees it; sections not yet served are hidden."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from gateway.roles import ADMIN_ONLY, ALL_ROLES, STAFF, Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString
    roles: frozenset[Role]


NAVIGATION = (
    NavItem("library.index", _l("Library"), ALL_ROLES),
    NavItem("voice.index", _l("Voice messages"), ALL_ROLES),
    NavItem("schedule.index", _l("Schedule"), STAFF),
    NavItem("onair.index", _l("On air"), ALL_ROLES),
    NavItem("subscribers.index", _l("Subscribers"), STAFF),
    NavItem("alerts.index", _l("Alerts"), STAFF),
    NavItem("admin.users", _l("Users"), ADMIN_ONLY),
    NavItem("admin.audit_log", _l("Audit log"), ADMIN_ONLY),
)


def visible_items(role: Role | None) -> list[NavItem]:
    if role is None:
        return []
    served = current_app.view_functions
    return [item for item in NAVIGATION if item.endpoint in served and role in item.roles]
