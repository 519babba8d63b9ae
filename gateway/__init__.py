"""Altavoz gateway: the composition root (web panel, API, CLI, worker supervision).

This module stays light so that domain packages and worker processes can import the shared
core (settings, database) without pulling in Flask; `flask --app gateway` finds `create_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(*args: Any, **kwargs: Any) -> Flask:
    from gateway.factory import create_app as _create_app

    return _create_app(*args, **kwargs)
