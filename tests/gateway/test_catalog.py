"""The Spanish catalog holds every string the code can show, and nothing in it is a guess.

Messages are extracted in-process with babel's own API and the project's babel.cfg, the same
way `pybabel extract` does, so a string added anywhere the panel draws from (gateway, audio,
playlists, sms, templates) and not translated fails here rather than showing in English.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SPANISH = ROOT / "gateway/translations/es/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
SKIPPED_DIRS = (".", "tests", "var", "node_modules", "bench")


def extracted() -> set[str]:
    """Every msgid the code uses, as `pybabel extract -F babel.cfg -k _l` finds them."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=lambda d: not Path(d).name.startswith(SKIPPED_DIRS),
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def test_every_string_the_code_uses_has_a_spanish_translation_and_none_is_fuzzy() -> None:
    with SPANISH.open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        msgid
        for m in catalog
        if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])
        for msgid in ([m.id] if isinstance(m.id, str) else m.id)
    }
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    code = extracted()
    assert len(code) > 300, "the extraction found almost nothing: is babel.cfg read?"
    assert sorted(code - translated) == []
    assert fuzzy == []
