"""`next` after login and after a language change leads only to a path on this site.

Judged with Ada, the WHATWG URL parser that Node.js uses, because what matters is where a
browser goes, not how Python's urllib reads the same string.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import ada_url
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from gateway.accounts import User
from gateway.roles import Role
from gateway.web.local_target import local_target
from tests.support import PASSWORD, csrf_token

SITE = "http://localhost"

PIECES = st.sampled_from(
    [
        "/",
        "//",
        "\\",
        "\t",
        "\n",
        "\r",
        " ",
        "\x00",
        "\x1f",
        "\x7f",
        "\u200b",
        "\u202e",
        "\u3000",
        "\u2028",
        "%09",
        "%2f",
        "%5c",
        "evil.example",
        "https:",
        "javascript:",
        "@",
        "?",
        "#",
        ".",
        "..",
        ":",
        "x",
        "/./",
        "\ufeff",
    ]
)
JOINED = st.lists(PIECES, max_size=8).map("".join)
TARGETS = st.one_of(JOINED, JOINED.map(lambda rest: "/" + rest), st.text(max_size=40))


def lands_on_site(location: str, base: str = SITE + "/login") -> bool:
    """Where a browser that got this Location header would go: this site or elsewhere."""
    try:
        resolved = ada_url.URL(location, base)
    except ValueError:
        return True  # a browser cannot follow it at all
    return resolved.origin == SITE


@given(TARGETS)
def test_no_accepted_target_leads_a_browser_off_the_site(target: str) -> None:
    accepted = local_target(target)
    if accepted is not None:
        assert accepted == target
        assert lands_on_site(accepted)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TARGETS)
def test_language_switch_never_fails_nor_leaves_the_site(client: FlaskClient, target: str) -> None:
    response = client.get(f"/lang/es?next={quote(target, safe='')}")
    assert response.status_code == 302
    assert lands_on_site(response.headers["Location"])


def test_paths_on_the_site_are_kept() -> None:
    for target in ("/", "/schedule/?week=2026-12-03", "/voice/12#transcript", "/a b"):
        assert local_target(target) == target


def log_in_with_next(client: FlaskClient, next_query: str) -> TestResponse:
    token = csrf_token(client)
    return client.post(
        f"/login?next={next_query}",
        data={"username": "lucia", "password": PASSWORD, "csrf_token": token},
    )


def test_encoded_tab_after_login_does_not_redirect_to_another_site(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    response = log_in_with_next(client, "/%09/evil.example")
    assert response.status_code == 302
    assert lands_on_site(response.headers["Location"])
    assert response.headers["Location"] == "/"


def test_newline_in_next_after_login_logs_in_and_goes_to_the_dashboard(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    response = log_in_with_next(client, "/%0d/x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_newline_in_next_of_the_language_switch_goes_to_the_dashboard(
    client: FlaskClient,
) -> None:
    response = client.get("/lang/es?next=/%0d/x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "altavoz_lang=es" in response.headers["Set-Cookie"]
