"""The one configuration surface: every setting is an environment variable read here.

Defaults give the embedded set-up (SQLite files under ``var/``, everything on localhost).
The full list of variables is in docs/architecture.md ("Configuration"); ``endpoints.yml`` reads the tracker-store ones through
``${...}`` placeholders that the launcher fills from :func:`rasa_environment`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"

# Longest user message (characters) the assistant reads; longer ones get a kind reply instead.
MAX_MESSAGE_CHARS = 2000


def _env(name: str, default: str, env: Optional[Mapping[str, str]] = None) -> str:
    value = (os.environ if env is None else env).get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int, env: Optional[Mapping[str, str]] = None) -> int:
    raw = _env(name, str(default), env)
    try:
        return int(raw)
    except ValueError as exc:  # a typo in a port must stop the start, not pick a random one
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    host: str
    rasa_port: int
    actions_port: int
    web_port: int
    tracker_url: str
    directory_url: str
    max_message_chars: int
    operator_hours: str
    retention_days: int
    console_port: int
    lock_store: str
    redis_host: str
    redis_port: int
    redis_db: int
    # Data lifecycle and operator console (docs/operations.md)
    audit_key: str = ""             # SV_AUDIT_KEY: HMAC key naming conversations in the audit log
    audit_retention_days: int = 365
    purge_interval_hours: int = 24
    trusted_proxies: int = 0        # SV_CONSOLE_TRUSTED_PROXIES: how many proxies stand in front of the console
    console_insecure_cookies: bool = False  # SV_CONSOLE_INSECURE_COOKIES=1: plain http on loopback only

    @property
    def action_endpoint(self) -> str:
        return f"http://{self.host}:{self.actions_port}/webhook"


def load(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Settings from `env` (default: the process environment)."""
    VAR_DIR.mkdir(exist_ok=True)
    return Settings(
        host=_env("SV_HOST", "127.0.0.1", env),
        rasa_port=_int("SV_RASA_PORT", 5005, env),
        actions_port=_int("SV_ACTIONS_PORT", 5055, env),
        web_port=_int("SV_WEB_PORT", 8080, env),
        tracker_url=_env("SV_TRACKER_URL", f"sqlite:///{VAR_DIR / 'tracker.db'}", env),
        directory_url=_env("SV_DATABASE_URL", f"sqlite:///{VAR_DIR / 'sportello.db'}", env),
        max_message_chars=_int("SV_MAX_MESSAGE_CHARS", MAX_MESSAGE_CHARS, env),
        operator_hours=_env("SV_OPERATOR_HOURS", "nei giorni feriali, dalle 9 alle 17", env),
        retention_days=_int("SV_RETENTION_DAYS", 30, env),
        console_port=_int("SV_CONSOLE_PORT", 8090, env),
        lock_store=_env("SV_LOCK_STORE", "in_memory", env),
        redis_host=_env("SV_REDIS_HOST", "127.0.0.1", env),
        redis_port=_int("SV_REDIS_PORT", 6379, env),
        redis_db=_int("SV_REDIS_DB", 0, env),
        audit_key=_env("SV_AUDIT_KEY", "", env),
        audit_retention_days=_int("SV_AUDIT_RETENTION_DAYS", 365, env),
        purge_interval_hours=_int("SV_PURGE_INTERVAL_HOURS", 24, env),
        trusted_proxies=_int("SV_CONSOLE_TRUSTED_PROXIES", 0, env),
        console_insecure_cookies=_env("SV_CONSOLE_INSECURE_COOKIES", "0", env) == "1",
    )


# Channel credentials read by credentials.yml; unset ones are passed as empty (channel disabled).
CHANNEL_VARIABLES = ("TELEGRAM_TOKEN", "TELEGRAM_BOT_NAME", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_SECRET_TOKEN",
                     "TELEGRAM_API_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_NUMBER",
                     "TWILIO_WEBHOOK_URL", "TWILIO_API_URL")


def rasa_environment(settings: Settings, env: Optional[Mapping[str, str]] = None) -> dict:
    """Variables that ``endpoints.yml`` and ``credentials.yml`` expand when Rasa starts."""
    env = os.environ if env is None else env
    dialect = settings.tracker_url.split(":", 1)[0].split("+", 1)[0]
    return {
        **{name: env.get(name, "") for name in CHANNEL_VARIABLES},
        "SV_TRACKER_DIALECT": dialect,
        "SV_TRACKER_URL": settings.tracker_url,
        "SV_ACTION_ENDPOINT": settings.action_endpoint,
        "SV_DATABASE_URL": settings.directory_url,
        "SV_MAX_MESSAGE_CHARS": str(settings.max_message_chars),
        "SV_LOCK_STORE": settings.lock_store,
        "SV_REDIS_HOST": settings.redis_host,
        "SV_REDIS_PORT": str(settings.redis_port),
        "SV_REDIS_DB": str(settings.redis_db),
    }


# --- Exposure, identity and abuse limits (docs/security.md) ------------------------------------
@dataclass(frozen=True)
class Protection:
    rest_token: str            # SV_REST_TOKEN: REST needs "Authorization: Bearer <token>" when set
    actions_secret: str        # SV_ACTIONS_SECRET: header every action-server call must carry
    cors_origins: str          # SV_CORS_ORIGINS: origins allowed by Rasa's CORS (never "*")
    rate_per_address: int      # SV_RATE_PER_ADDRESS: REST requests a minute per client address (0: off)
    rate_per_conversation: int  # SV_RATE_PER_CONVERSATION: messages a minute per conversation (0: off)
    trusted_proxies: tuple     # SV_TRUSTED_PROXIES: proxies whose X-Real-IP is the client's address
    max_metadata_bytes: int    # SV_MAX_METADATA_BYTES: largest REST `metadata` (JSON) accepted
    webhook_dedup_seconds: int  # SV_WEBHOOK_DEDUP_SECONDS: how long a webhook id is remembered


ACTIONS_SECRET_HEADER = "X-Sportello-Actions-Secret"


def protection(env: Optional[Mapping[str, str]] = None) -> Protection:
    s = load(env)
    return Protection(
        rest_token=_env("SV_REST_TOKEN", "", env),
        actions_secret=_env("SV_ACTIONS_SECRET", "", env),
        cors_origins=_env("SV_CORS_ORIGINS", f"http://{s.host}:{s.web_port}", env),
        rate_per_address=_int("SV_RATE_PER_ADDRESS", 60, env),
        rate_per_conversation=_int("SV_RATE_PER_CONVERSATION", 30, env),
        trusted_proxies=tuple(p.strip() for p in _env("SV_TRUSTED_PROXIES", "127.0.0.1,::1", env).split(",")
                              if p.strip()),
        max_metadata_bytes=_int("SV_MAX_METADATA_BYTES", 1024, env),
        webhook_dedup_seconds=_int("SV_WEBHOOK_DEDUP_SECONDS", 2 * 24 * 3600, env),
    )
