"""Configuration: the embedded TOML defaults, an optional file, and environment overrides.

Precedence, lowest first: `config/altavoz.toml` shipped with the code, the file named by
`ALTAVOZ_CONFIG` (which replaces it whole), then `ALTAVOZ_<SECTION>__<KEY>` variables for single
keys. Everything is validated once at start-up so that a typo fails with one line naming the key,
not later in a worker at three in the morning.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from ipaddress import IPv6Address, ip_address, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sms.languages import DEFAULT_LANGUAGE, REGION_LANGUAGES

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "config" / "altavoz.toml"
ENV_PREFIX = "ALTAVOZ_"
CONFIG_ENV = "ALTAVOZ_CONFIG"


class ConfigError(Exception):
    """A configuration problem, worded for the person who wrote the file."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StationSettings(_Section):
    name: str = "Radio Altavoz"
    timezone: str = "America/Mexico_City"
    slot_overrun: Literal["repeat", "fallback"] = "repeat"
    languages: list[str] = Field(default_factory=lambda: list(REGION_LANGUAGES), min_length=1)
    """Subscribers' languages and alert versions the station serves (ISO 639 codes)."""

    @field_validator("languages", mode="before")
    @classmethod
    def _language_list(cls, value: object) -> object:
        """An environment variable gives one string: `es, mam, quc`."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        codes = [code.strip().lower() for code in value]
        for code in codes:
            if not re.fullmatch(r"[a-z]{2,3}", code):
                raise ValueError(f"{code!r} is not a language code (2 or 3 letters, as 'mam')")
        if DEFAULT_LANGUAGE not in codes:
            raise ValueError(f"must include {DEFAULT_LANGUAGE!r}, the alerts' main language")
        return list(dict.fromkeys(codes))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/altavoz.db"

    @field_validator("url")
    @classmethod
    def _supported_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("only sqlite:// and postgresql:// URLs are supported")
        return value


class MediaSettings(_Section):
    dir: Path = Path("var/media")
    inbox: Path = Path("var/inbox")
    inbox_settle_s: float = Field(3.0, ge=0.0)
    max_upload_mb: int = Field(200, gt=0)
    max_duration_s: int = Field(3600, gt=0)
    loudness_target_lufs: float = Field(-16.0, ge=-40.0, le=-5.0)
    true_peak_dbtp: float = Field(-1.5, ge=-9.0, le=0.0)
    trim_silence: bool = False
    retention_rejected_days: int = Field(30, ge=0)


class StreamSettings(_Section):
    icecast_url: str = "http://127.0.0.1:8000"
    mount: str = "/altavoz"
    source_user: str = "source"
    source_password: str = "altavoz-source"
    admin_password: str = "altavoz-admin"
    manage_local_icecast: bool = True
    local_icecast_dir: Path = Path("var/icecast")
    format: Literal["mp3", "ogg"] = "mp3"
    bitrate: int = Field(128, ge=16, le=320)
    soundcard: bool = False
    slot_start: Literal["cut", "fade"] = "fade"
    fade_s: float = Field(2.0, ge=0.0, le=30.0)
    name: str = Field("", max_length=200)
    description: str = Field("Radio comunitaria", min_length=1, max_length=500)
    genre: str = Field("Community", min_length=1, max_length=100)
    url: str = Field("", max_length=500)

    @field_validator("icecast_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise ValueError("has a port that is not a number") from exc
        if not parts.hostname:
            raise ValueError("has no host name")
        return value.rstrip("/")

    @property
    def icecast_host(self) -> str:
        return urlsplit(self.icecast_url).hostname or "127.0.0.1"

    @property
    def icecast_port(self) -> int:
        parts = urlsplit(self.icecast_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def runs_local_icecast(self) -> bool:
        """Whether `altavoz serve` starts Icecast itself: only for a server on this machine."""
        return self.manage_local_icecast and self.icecast_host in ("127.0.0.1", "localhost", "::1")

    @field_validator("mount")
    @classmethod
    def _mount_path(cls, value: str) -> str:
        if not value.startswith("/") or " " in value:
            raise ValueError("must start with / and contain no spaces")
        return value


KEEP_CHARACTERS = {"cak": "äëïöüÄËÏÖÜ", "tzj": "äëïöüÄËÏÖÜ"}
"""Kaqchikel and Tz'utujil write ä ë ï ö ü as vowels of their own (ë and ï are not in GSM-7,
so smart encoding would otherwise make them e and i)."""


class SmppSettings(_Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(2775, ge=1, le=65535)
    system_id: str = Field("altavoz", max_length=15)
    password: str = Field("secret", max_length=8)
    system_type: str = Field("", max_length=12)
    source_addr: str = Field("ALTAVOZ", max_length=20)
    source_addr_ton: int = Field(5, ge=0, le=6)
    source_addr_npi: int = Field(0, ge=0, le=18)
    dest_addr_ton: int = Field(1, ge=0, le=6)
    dest_addr_npi: int = Field(1, ge=0, le=18)
    bind_mode: Literal["transceiver", "transmitter_receiver"] = "transceiver"
    window: int = Field(10, ge=1, le=1000)
    max_tps: float = Field(50, gt=0, le=10000)
    enquire_link_s: float = Field(30, gt=0)
    bind_timeout_s: float = Field(2, gt=0, le=60)
    gsm7_data_coding: int = Field(0, ge=0, le=255)
    gsm7_packed: bool = False
    smart_encoding: bool = True
    keep_characters: dict[str, str] = Field(default_factory=lambda: dict(KEEP_CHARACTERS))
    max_segments: int = Field(6, ge=1, le=255)
    default_region: str = "MX"
    receipt_timeout_s: int = Field(172_800, ge=1, le=8_639_999)

    @field_validator("keep_characters", mode="before")
    @classmethod
    def _keep_pairs(cls, value: object) -> object:
        """An environment variable gives one string: `cak=äëïöü, tzj=ëï`."""
        if isinstance(value, str):
            pairs = (part.partition("=") for part in value.split(",") if part.strip())
            return {code.strip(): chars.strip() for code, _, chars in pairs}
        return value

    @field_validator("keep_characters")
    @classmethod
    def _keep_letters(cls, value: dict[str, str]) -> dict[str, str]:
        for code, chars in value.items():
            if not re.fullmatch(r"[a-z]{2,3}", code):
                raise ValueError(f"{code!r} is not a language code (2 or 3 letters, as 'cak')")
            if any(char.isspace() or not char.isprintable() for char in chars):
                raise ValueError(f"the characters for {code!r} must be letters, no spaces")
        return {code: unicodedata.normalize("NFC", chars) for code, chars in value.items()}

    @property
    def kept_characters(self) -> frozenset[str]:
        """Every language's characters at once: a message does not say its language, and a
        station lists only the languages it broadcasts in."""
        return frozenset("".join(self.keep_characters.values()))

    @field_validator("default_region")
    @classmethod
    def _region_code(cls, value: str) -> str:
        import phonenumbers

        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region code {value!r}")
        return value.upper()


class TranscriptionSettings(_Section):
    models_dir: Path = Path("var/models")
    default_language: str = Field("es", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    workers: int = Field(0, ge=0, le=64)
    nice: int = Field(10, ge=0, le=19)


def only_placeholders(value: str, allowed: dict[str, str]) -> str:
    """`value`, if it names no placeholder outside `allowed`; a configured text is checked when
    the configuration is read, not when the message it makes is needed."""
    try:
        value.format(**allowed)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"may only use the placeholders {', '.join(allowed)} ({exc})") from None
    return value


NOTICE_PLACEHOLDERS = {"station": "", "original": "", "text": ""}
"""What a cancellation or correction SMS may name: the station, the start of the alert it
withdraws, and (a correction) the corrected text."""


CAP_TOKEN = r"^[^\s,<&]+$"
"""A CAP sender or identifier: no spaces, commas, '<' or '&' (CAP 1.2, 3.2.1)."""
CapCategory = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip


class AlertSettings(_Section):
    attention_tone: int = Field(0, ge=0)
    tts_voice: str = "es-419"
    repeats: int = Field(2, ge=1, le=10)
    approvals_required: int = Field(0, ge=0, le=1)
    repeat_every_min: int = Field(0, ge=0, le=10080)
    repeat_until_min: int = Field(120, ge=1, le=10080)
    cancel_text_es: str = Field(
        "{station}: alerta ANULADA, no la tomen en cuenta: {original}", min_length=1, max_length=500
    )
    cancel_text_en: str = Field(
        "{station}: alert CANCELLED, please disregard it: {original}", min_length=1, max_length=500
    )
    correct_text_es: str = Field(
        "{station}: CORRECCIÓN de la alerta anterior: {text}", min_length=1, max_length=500
    )
    correct_text_en: str = Field(
        "{station}: CORRECTION to the previous alert: {text}", min_length=1, max_length=500
    )

    cap_sender: str = Field("altavoz@localhost", pattern=CAP_TOKEN, max_length=200)
    cap_language: str = Field("es", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    cap_category: CapCategory = "Safety"
    cap_event: str = Field("Alerta", min_length=1, max_length=200)
    cap_urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"] = "Immediate"
    cap_severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] = "Severe"
    cap_certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"] = "Likely"
    cap_trusted_senders: list[Annotated[str, Field(pattern=CAP_TOKEN, max_length=200)]] = []

    @field_validator("cancel_text_es", "cancel_text_en", "correct_text_es", "correct_text_en")
    @classmethod
    def _notice_placeholders(cls, value: str) -> str:
        return only_placeholders(value, NOTICE_PLACEHOLDERS)


MONITOR_PLACEHOLDERS = {"station": "", "since": "", "at": "", "duration": ""}
"""What the monitor's texts may name: the station, when the dead air began, when it ended,
and how long it lasted."""


class MonitorSettings(_Section):
    """The air monitor: a listener on the station's own mount that acts on dead air."""

    enabled: bool = True
    silence_s: float = Field(5.0, gt=0.0, le=600.0)
    silence_db: float = Field(-50.0, ge=-120.0, lt=0.0)
    alert_after_s: float = Field(60.0, gt=0.0)
    restart_every_s: float = Field(30.0, gt=0.0)
    staff_numbers: tuple[str, ...] = ()
    station_id_text: str = Field("Está escuchando {station}.", min_length=1, max_length=500)
    alert_text: str = Field(
        "{station}: no se oye nada en el stream desde las {since}. Revisen la emisión.",
        min_length=1,
        max_length=500,
    )
    over_text: str = Field(
        "{station}: el audio volvió al aire a las {at}, tras {duration} sin audio.",
        min_length=1,
        max_length=500,
    )

    @field_validator("staff_numbers", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """An environment variable gives one string: numbers separated by commas."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("staff_numbers")
    @classmethod
    def _e164_numbers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import phonenumbers

        for number in value:
            try:
                parsed = phonenumbers.parse(number, None)
            except phonenumbers.NumberParseException:
                raise ValueError(f"{number!r} is not an E.164 number (+ and digits)") from None
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if e164 != number or not phonenumbers.is_valid_number(parsed):
                raise ValueError(f"{number!r} is not a valid E.164 number (+ and digits)")
        return value

    @field_validator("station_id_text", "alert_text", "over_text")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        return only_placeholders(value, MONITOR_PLACEHOLDERS)


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)
    secret_key_file: Path = Path("var/secret_key")
    session_lifetime_minutes: int = Field(480, gt=0)
    secure_cookies: Literal["auto", "true", "false"] = "auto"
    behind_proxy: bool = False
    login_max_failures: int = Field(5, ge=1)
    login_account_max_failures: int = Field(20, ge=1)
    login_window_minutes: int = Field(15, ge=1)
    default_locale: Literal["es", "en"] = "es"


class MetricsSettings(_Section):
    """Who may scrape `/metrics` without a token: addresses or CIDR networks."""

    allow_from: tuple[str, ...] = ("127.0.0.1", "::1")

    @field_validator("allow_from", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        """An environment variable gives one string: `127.0.0.1, 10.0.0.0/8`."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allow_from")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

    def allows(self, address: str) -> bool:
        """Whether a client at `address` may read the metrics without a token."""
        try:
            client = ip_address(address)
        except ValueError:
            return False
        if isinstance(client, IPv6Address) and client.ipv4_mapped is not None:
            client = client.ipv4_mapped
        return any(client in ip_network(entry, strict=False) for entry in self.allow_from)


class Settings(_Section):
    station: StationSettings = StationSettings()
    database: DatabaseSettings = DatabaseSettings()
    media: MediaSettings = MediaSettings()
    stream: StreamSettings = StreamSettings()
    smpp: SmppSettings = SmppSettings()
    transcription: TranscriptionSettings = TranscriptionSettings()
    alerts: AlertSettings = AlertSettings()
    monitor: MonitorSettings = MonitorSettings()
    web: WebSettings = WebSettings()
    metrics: MetricsSettings = MetricsSettings()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Collect ALTAVOZ_SECTION__KEY variables; also return where each key came from."""
    overrides: dict[str, dict[str, str]] = {}
    origins: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].partition("__")
        section, key = section.lower(), key.lower()
        if section not in Settings.model_fields:
            raise ConfigError(f"{name}: there is no configuration section {section!r}")
        overrides.setdefault(section, {})[key] = value
        origins[f"{section}.{key}"] = name
    return overrides, origins


def _describe(error: ValidationError, origins: Mapping[str, str], source: Path) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        reason = "is not a known setting"
    else:
        reason = first["msg"].removeprefix("Value error, ")
    where = origins.get(key, str(source))
    return f"{key}: {reason} (from {where})"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from the files and the environment, or raise ConfigError."""
    environ = os.environ if environ is None else environ
    source = Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else DEFAULTS_FILE
    data = _read_toml(source)
    overrides, origins = _env_overrides(environ)
    for section, values in overrides.items():
        existing = data.get(section, {})
        if not isinstance(existing, dict):
            raise ConfigError(f"{section}: must be a table (from {source})")
        data[section] = {**existing, **values}
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origins, source)) from None


def settings_from_mapping(data: Mapping[str, Any]) -> Settings:
    """Validate settings given as nested mappings (tests, embedding); defaults fill the rest."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, {}, Path("<mapping>"))) from None
