"""Configuration: defaults, file, environment, and one-line errors that name the key."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from gateway.settings import DEFAULTS_FILE, ConfigError, Settings, load_settings

ALTAVOZ = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "altavoz")


def test_embedded_defaults_load_and_match_the_code_defaults() -> None:
    assert load_settings({}) == Settings()


def test_every_setting_is_in_the_defaults_file_with_a_comment_above_it() -> None:
    text = DEFAULTS_FILE.read_text()
    data = tomllib.loads(text)
    lines = text.splitlines()
    for section, model in Settings.model_fields.items():
        assert section in data, f"section [{section}] missing from {DEFAULTS_FILE.name}"
        for key in model.annotation.model_fields:  # type: ignore[union-attr]
            assert key in data[section], f"{section}.{key} missing from {DEFAULTS_FILE.name}"
            index = next(i for i, line in enumerate(lines) if re.match(rf"{key}\s*=", line))
            above = lines[index - 1]
            assert above.startswith("#") or re.match(r"\w+\s*=", above), (
                f"{section}.{key} has no comment"
            )


def test_config_file_replaces_defaults_and_environment_overrides_single_keys(
    tmp_path: Path,
) -> None:
    config = tmp_path / "station.toml"
    config.write_text(
        '[smpp]\nhost = "smsc.example.org"\nport = 2776\n[station]\nname = "Radio Tz\'ikin"\n'
    )
    env = {"ALTAVOZ_CONFIG": str(config), "ALTAVOZ_SMPP__PORT": "3000"}
    settings = load_settings(env)
    assert settings.smpp.host == "smsc.example.org"
    assert settings.smpp.port == 3000
    assert settings.station.name == "Radio Tz'ikin"
    assert settings.stream.bitrate == 128


def test_environment_override_without_a_file_changes_only_that_key() -> None:
    settings = load_settings({"ALTAVOZ_STREAM__ICECAST_URL": "http://radio.example:8010/"})
    assert settings.stream.icecast_url == "http://radio.example:8010"
    assert settings.stream.mount == "/altavoz"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ALTAVOZ_SMPP__PORT": "dos mil"}, "smpp.port: Input should be a valid integer"),
        ({"ALTAVOZ_SMPP__PORT": "70000"}, "smpp.port: Input should be less than or equal to 65535"),
        ({"ALTAVOZ_STREAM__FORMAT": "wav"}, "stream.format: Input should be 'mp3' or 'ogg'"),
        ({"ALTAVOZ_STATION__TIMEZONE": "Mars/Olympus"}, "station.timezone: unknown time zone"),
        ({"ALTAVOZ_SMPP__HOSTT": "x"}, "smpp.hostt: is not a known setting"),
        ({"ALTAVOZ_RADIO__X": "1"}, "ALTAVOZ_RADIO__X: there is no configuration section 'radio'"),
        ({"ALTAVOZ_DATABASE__URL": "mysql://x"}, "database.url: only sqlite:// and postgresql://"),
        ({"ALTAVOZ_SMPP__DEFAULT_REGION": "XX"}, "smpp.default_region: unknown region code"),
        ({"ALTAVOZ_STATION__LANGUAGES": "es, m@m"}, "station.languages: 'm@m' is not a language"),
        ({"ALTAVOZ_STATION__LANGUAGES": "mam, quc"}, "station.languages: must include 'es'"),
    ],
)
def test_bad_values_are_refused_with_the_key_named(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_station_languages_come_as_a_list_from_one_variable() -> None:
    settings = load_settings({"ALTAVOZ_STATION__LANGUAGES": "es, MAM,quc, mam"})
    assert settings.station.languages == ["es", "mam", "quc"]


def test_unknown_key_in_a_file_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[web]\nprot = 80\n")
    with pytest.raises(
        ConfigError, match=r"web\.prot: is not a known setting \(from .*bad\.toml\)"
    ):
        load_settings({"ALTAVOZ_CONFIG": str(config)})


def test_broken_toml_and_missing_file_are_one_line_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[web\nport = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"ALTAVOZ_CONFIG": str(broken)})
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings({"ALTAVOZ_CONFIG": str(tmp_path / "nowhere.toml")})


def test_cli_reports_a_bad_setting_in_one_line_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [ALTAVOZ, "init"],
        env={"ALTAVOZ_SMPP__WINDOW": "0", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "altavoz: configuration error: smpp.window: Input should be greater than or equal to 1 "
        "(from ALTAVOZ_SMPP__WINDOW)"
    ]
    assert not (tmp_path / "var").exists()
