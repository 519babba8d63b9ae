"""Where a `next` parameter may send someone: only to a path on this site.

Browsers do not read a Location header the way Python's URL functions do: they drop leading
spaces and control characters, remove tabs and newlines anywhere, and take a backslash for a
slash, so `/\\t/evil.example` or `/\\\\evil.example` lead off-site although they start with a
single `/`. Rather than imitate every browser, this refuses anything a browser could read
differently from us: one plain function that the login and the language switch both use.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_LENGTH = 2000

# Control, format (bidi, zero-width), line/paragraph separators and spaces other than U+0020.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _has_unsafe_character(target: str) -> bool:
    return any(
        char == "\\"
        or unicodedata.category(char) in _REFUSED_CATEGORIES
        or (unicodedata.category(char) == "Zs" and char != " ")
        for char in target
    )


def local_target(target: str | None) -> str | None:
    """The target itself if it is a path on this site, otherwise None (use a default page)."""
    if not target or len(target) > MAX_LENGTH or _has_unsafe_character(target):
        return None
    if target != target.strip() or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
