"""Typed settings, read once from the environment and `.env`, then passed down.

A missing or malformed setting ends the program with one line that names the variable and the
fix, and exit code 2, before anything starts (see `load_settings`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
}


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
        print(line, file=sys.stderr)
        raise ConfigError(line) from None
