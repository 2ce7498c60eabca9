"""Typed settings, read once from the environment and `.env`, then passed down.

A missing or malformed setting ends the program with one line that names the variable and the
fix, and exit code 2, before anything starts (see `load_settings`).
"""

from __future__ import annotations

import re
import sys
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AUDIT_RETENTION_DAYS = 365

# The one line an operator reads for each setting that is wrong: what it must be.
FIXES: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "set it to the token from @BotFather (123456:ABC…), or leave it unset to run without Telegram",
    "TELEGRAM_API_BASE_URL": "set it to a Bot API base URL such as https://api.telegram.org/bot",
    "TELEGRAM_MODE": "set it to 'polling' or 'webhook'",
    "TELEGRAM_WEBHOOK_URL": "set it to the public https URL Telegram should post updates to",
    "DATABASE_URL": "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host:5432/db",
    "RASA_URL": "set it to the Rasa server's base URL, e.g. http://127.0.0.1:5005",
    "WEB_HOST": "set it to an interface address such as 127.0.0.1 or 0.0.0.0",
    "WEB_PORT": "set it to a free TCP port between 1 and 65535",
    "RETENTION_DAYS": "set it to a whole number of days between 1 and 3650",
    "AUDIT_RETENTION_DAYS": "set it to a whole number of days between 1 and 3650",
    "LOG_LEVEL": "set it to DEBUG, INFO, WARNING or ERROR",
    "CONTENT_DIR": "point it at the content folder (the one with topics/, places/ and regions.yaml)",
    "SECRET_KEY": "set it to a long random string (at least 32 characters), or leave it unset",
    "STAFF_HOURS": "write it like 'mon-fri 09:00-16:00' (days mon..sun, one or more ranges separated by ';')",
    "CHAT_MAX_BODY_BYTES": "set it to a whole number of bytes between 8192 and 1048576",
    "MAX_BODY_BYTES": "set it to a whole number of bytes between 8192 and 16777216",
    "CHAT_MESSAGES_PER_MINUTE": "set it to a whole number between 1 and 10000",
    "CHAT_MESSAGES_PER_MINUTE_PER_ADDRESS": "set it to a whole number between 1 and 100000",
    "CHAT_NEW_SESSIONS_PER_HOUR_PER_ADDRESS": "set it to a whole number between 1 and 100000",
    "CHAT_CASES_PER_HOUR_PER_ADDRESS": "set it to a whole number between 1 and 10000",
    "USER_MESSAGES_PER_DAY": "set it to a whole number between 10 and 100000",
    "FRAME_ANCESTORS": "list the sites that may embed the web chat, e.g. \"'self' https://www.osnabrueck.de\", or 'none'",
    "TRUSTED_PROXIES": "list the reverse proxies' addresses or networks, e.g. 127.0.0.1,10.0.0.0/8, or leave it empty",
    "TRANSLATE_URL": "set it to your LibreTranslate server's base URL, e.g. http://translate:5000, or leave it unset",
    "TRANSLATE_API_KEY": "set it to the API key your LibreTranslate server expects, or leave it unset",
    "TRANSLATE_TIMEOUT_SECONDS": "set it to a number of seconds between 0.1 and 30",
}

# A source in CSP's frame-ancestors: 'self', 'none', or an origin (scheme, host, optional port).
FRAME_SOURCE = re.compile(r"'self'|'none'|https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class Settings(BaseSettings):
    """Every setting Wegweiser reads; the README's table mirrors this class."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: HttpUrl = Field(
        default=HttpUrl("https://api.telegram.org/bot"), alias="TELEGRAM_API_BASE_URL"
    )
    telegram_mode: Literal["polling", "webhook"] = Field(default="polling", alias="TELEGRAM_MODE")
    telegram_webhook_url: HttpUrl | None = Field(default=None, alias="TELEGRAM_WEBHOOK_URL")
    database_url: str = Field(default="sqlite+aiosqlite:///var/wegweiser.db", alias="DATABASE_URL")
    rasa_url: HttpUrl = Field(default=HttpUrl("http://127.0.0.1:5005"), alias="RASA_URL")
    web_host: str = Field(default="127.0.0.1", alias="WEB_HOST", min_length=1)
    web_port: int = Field(default=8080, alias="WEB_PORT", ge=1, le=65535)
    retention_days: int = Field(default=90, alias="RETENTION_DAYS", ge=1, le=3650)
    audit_retention_days: int = Field(
        default=AUDIT_RETENTION_DAYS, alias="AUDIT_RETENTION_DAYS", ge=1, le=3650
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", alias="LOG_LEVEL")
    content_dir: Path = Field(default=PROJECT_ROOT / "content", alias="CONTENT_DIR")
    secret_key: SecretStr | None = Field(default=None, alias="SECRET_KEY")
    staff_hours: str = Field(default="mon-fri 09:00-16:00", alias="STAFF_HOURS")
    # Requests with a larger body get 413 before it is read. A chat message of 4096 characters of
    # any script is at most 16 kB as JSON; the console's forms and Telegram's updates are larger.
    chat_max_body_bytes: int = Field(default=32_768, alias="CHAT_MAX_BODY_BYTES", ge=8192, le=1_048_576)
    max_body_bytes: int = Field(default=262_144, alias="MAX_BODY_BYTES", ge=8192, le=16_777_216)
    # Rate limits of the web chat (in memory, per process) and the daily cap per user (all channels).
    # One address can be a whole shelter behind one router: the per-address limits are generous.
    chat_messages_per_minute: int = Field(default=20, alias="CHAT_MESSAGES_PER_MINUTE", ge=1, le=10_000)
    chat_messages_per_minute_per_address: int = Field(
        default=120, alias="CHAT_MESSAGES_PER_MINUTE_PER_ADDRESS", ge=1, le=100_000
    )
    chat_new_sessions_per_hour_per_address: int = Field(
        default=60, alias="CHAT_NEW_SESSIONS_PER_HOUR_PER_ADDRESS", ge=1, le=100_000
    )
    chat_cases_per_hour_per_address: int = Field(
        default=10, alias="CHAT_CASES_PER_HOUR_PER_ADDRESS", ge=1, le=10_000
    )
    user_messages_per_day: int = Field(default=300, alias="USER_MESSAGES_PER_DAY", ge=10, le=100_000)
    # Which sites may show the web chat in a frame (CSP frame-ancestors); the console never.
    frame_ancestors: str = Field(default="'self'", alias="FRAME_ANCESTORS")
    # Reverse proxies whose X-Forwarded-For is believed; the per-client limits count the address it
    # names. Empty: nobody's, the client is the address that connected.
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = Field(
        default=(), alias="TRUSTED_PROXIES"
    )
    # Machine translation for staff (bot/translation): a LibreTranslate server the municipality runs.
    # Unset: nothing is translated and nothing is sent anywhere.
    translate_url: HttpUrl | None = Field(default=None, alias="TRANSLATE_URL")
    translate_api_key: SecretStr | None = Field(default=None, alias="TRANSLATE_API_KEY")
    # Short: a staff reply waits for it, and the case page is rendered while staff look at it.
    translate_timeout_seconds: float = Field(default=3.0, alias="TRANSLATE_TIMEOUT_SECONDS", ge=0.1, le=30)

    @field_validator("*", mode="before")
    @classmethod
    def _utf8(cls, value: object) -> object:
        # Bytes that are not UTF-8 reach Python as lone surrogates; they would fail later, deep inside
        # a request (signing a session with SECRET_KEY) or a bind (WEB_HOST), instead of here.
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("not UTF-8 text") from None
        return value

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value)
        bot_id, _, secret = text.partition(":")
        if not (bot_id.isdigit() and len(secret) >= 20):
            raise ValueError("not a Telegram bot token")
        return text

    @field_validator("translate_url", "translate_api_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker-compose passes `${TRANSLATE_URL:-}` as an empty string when the profile is not used.
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("unsupported database URL")
        return value

    @field_validator("content_dir")
    @classmethod
    def _content_exists(cls, value: Path) -> Path:
        if not (value / "topics").is_dir():
            raise ValueError("no topics/ folder there")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("too short")
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _frame_sources(cls, value: str) -> str:
        sources = value.split()
        if not sources or not all(FRAME_SOURCE.fullmatch(source) for source in sources):
            raise ValueError("not a list of origins")
        return " ".join(sources)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
        return value

    @field_validator("staff_hours")
    @classmethod
    def _staff_hours(cls, value: str) -> str:
        from bot.office_hours import parse_office_hours

        parse_office_hours(value)
        return value

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def translation_enabled(self) -> bool:
        return self.translate_url is not None

    @property
    def var_dir(self) -> Path:
        return PROJECT_ROOT / "var"


class ConfigError(SystemExit):
    """Raised with the single line an operator needs; exit code 2."""

    def __init__(self, line: str) -> None:
        super().__init__(2)
        self.line = line


def describe_error(error: ValidationError) -> str:
    first = error.errors()[0]
    variable = str(first["loc"][0]) if first["loc"] else "settings"
    fix = FIXES.get(variable, "see the settings table in README.md")
    return f"wegweiser: setting {variable} is invalid ({first['msg']}): {fix}"


def load_settings(**overrides: object) -> Settings:
    """Build the settings once; on a bad value print one line and exit with code 2."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        line = describe_error(error)
    except (UnicodeDecodeError, OSError) as error:  # the .env file itself
        reason = error.reason if isinstance(error, UnicodeDecodeError) else error.strerror
        line = f"wegweiser: the settings file .env cannot be read ({reason}): save it as UTF-8 text, or remove it"
    print(line, file=sys.stderr)
    raise ConfigError(line) from None
