"""The one configuration surface: every environment variable of the assistant is read here.

Defaults give the embedded set-up (SQLite files under ``var/``, everything on localhost).
The full list of variables is in docs/architecture.md ("Configuration"); ``endpoints.yml`` and
``credentials.yml`` read some of them through ``${...}`` placeholders that the entry point
(``python -m assistant.serve``) fills from :func:`rasa_environment`.

Each group of settings is a pydantic ``BaseSettings`` model whose fields name their variable
(``env_prefix`` + field name, or ``env=``). They are read through one source, :func:`_environment`,
with two rules of this project: an empty variable counts as unset (compose passes ``${X:-}``), and
``load(env)`` given a mapping reads only that mapping (never the process environment). Reading
settings has no side effects: creating ``var/`` is done where a process creates its SQLite files
(:func:`assistant.db.ensure_sqlite_dir`). An invalid value stops with a message naming its variable.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Type, TypeVar

from pydantic import BaseSettings, Field, ValidationError, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"

# Longest user message (characters) the assistant reads; longer ones get a kind reply instead.
MAX_MESSAGE_CHARS = 2000
DEFAULT_STALE_MONTHS = 24
DEFAULT_TRACKER_URL = f"sqlite:///{VAR_DIR / 'tracker.db'}"
DEFAULT_DIRECTORY_URL = f"sqlite:///{VAR_DIR / 'sportello.db'}"

# The mapping being read by load(env=...): None means the process environment.
_SOURCE: contextvars.ContextVar[Optional[Mapping[str, str]]] = contextvars.ContextVar(
    "sv_settings_source", default=None
)


def _environment(model: BaseSettings) -> Dict[str, Any]:
    """The values of `model`'s variables that are set (non-empty) in the source being read."""
    given = _SOURCE.get()
    source = {k.lower(): v for k, v in (os.environ if given is None else given).items()}
    values: Dict[str, Any] = {}
    for field in model.__fields__.values():
        for name in field.field_info.extra["env_names"]:
            if source.get(name) not in (None, ""):
                values[field.alias] = source[name]
                break
    return values


class _Group(BaseSettings):
    class Config:
        env_prefix = "SV_"
        frozen = True  # read-only and hashable, like the dataclasses they replace

        @classmethod
        def customise_sources(cls, init_settings, env_settings, file_secret_settings):
            return init_settings, _environment


_G = TypeVar("_G", bound=_Group)


def _read(model: Type[_G], env: Optional[Mapping[str, str]]) -> _G:
    token = _SOURCE.set(env)
    try:
        return model()
    except ValidationError as exc:  # a typo in a port must stop the start, not pick a random one
        error = exc.errors()[0]
        field = model.__fields__[str(error["loc"][0])]
        name = next(iter(field.field_info.extra["env_names"])).upper()
        raise SystemExit(f"{name}: {error['msg']}") from None
    finally:
        _SOURCE.reset(token)


def _whole_number(cls, value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", value):
        raise ValueError(f"must be a whole number, got {value!r}")
    return value


class Settings(_Group):
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8080
    tracker_url: str = DEFAULT_TRACKER_URL
    directory_url: str = Field(DEFAULT_DIRECTORY_URL, env="SV_DATABASE_URL")
    max_message_chars: int = MAX_MESSAGE_CHARS
    operator_hours: str = "nei giorni feriali, dalle 9 alle 17"
    retention_days: int = 30
    console_port: int = 8090
    lock_store: str = "in_memory"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 0
    # Data lifecycle and operator console (docs/operations.md)
    audit_key: str = Field("", repr=False)  # SV_AUDIT_KEY: HMAC key naming conversations in the audit log
    audit_retention_days: int = 365
    purge_interval_hours: int = 24
    # SV_CONSOLE_TRUSTED_PROXIES: how many proxies stand in front of the console
    trusted_proxies: int = Field(0, env="SV_CONSOLE_TRUSTED_PROXIES")
    # SV_CONSOLE_INSECURE_COOKIES=1: plain http on loopback only
    console_insecure_cookies: bool = False
    # Where Rasa finds the action server (SV_ACTIONS_HOST, default SV_HOST): a service name in compose
    actions_host: str = ""
    # SV_RASA_URL: where the console finds Rasa's HTTP API (default http://SV_HOST:SV_RASA_PORT)
    rasa_url: str = ""
    api_token: str = Field("", repr=False)  # SV_API_TOKEN: token of Rasa's HTTP API (the console uses it)
    new_password: str = Field("", repr=False)  # SV_NEW_PASSWORD: `create-operator` without a terminal
    # Directory: entries older than SV_STALE_MONTHS are flagged; the version row is read at most
    # every SV_DIRECTORY_CHECK_SECONDS. Both are read while serving: a bad value falls back to the default.
    stale_months: int = DEFAULT_STALE_MONTHS
    directory_check_seconds: float = 2.0

    _ints = validator(
        "rasa_port",
        "actions_port",
        "web_port",
        "max_message_chars",
        "retention_days",
        "console_port",
        "redis_port",
        "redis_db",
        "audit_retention_days",
        "purge_interval_hours",
        "trusted_proxies",
        pre=True,
        allow_reuse=True,
    )(_whole_number)

    @validator("console_insecure_cookies", pre=True)
    def _only_one_is_true(cls, value: Any) -> bool:
        return value is True or value == "1"

    @validator("stale_months", pre=True)
    def _lenient_months(cls, value: Any) -> Any:
        return int(value) if str(value).strip().isdigit() else DEFAULT_STALE_MONTHS

    @validator("directory_check_seconds", pre=True)
    def _lenient_seconds(cls, value: Any) -> Any:
        try:
            return float(value)
        except ValueError:
            return 2.0

    @validator("actions_host", always=True)
    def _actions_host(cls, value: str, values: Dict[str, Any]) -> str:
        return value or values.get("host", "127.0.0.1")

    @validator("rasa_url", always=True)
    def _rasa_url(cls, value: str, values: Dict[str, Any]) -> str:
        return value or f"http://{values.get('host')}:{values.get('rasa_port')}"

    @property
    def action_endpoint(self) -> str:
        return f"http://{self.actions_host}:{self.actions_port}/webhook"


def load(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Settings from `env` (default: the process environment)."""
    return _read(Settings, env)


class Channels(_Group):
    """Channel credentials read by credentials.yml; unset ones are passed as empty (channel disabled)."""

    telegram_token: str = Field("", env="TELEGRAM_TOKEN", repr=False)
    telegram_bot_name: str = Field("", env="TELEGRAM_BOT_NAME")
    telegram_webhook_url: str = Field("", env="TELEGRAM_WEBHOOK_URL")
    telegram_secret_token: str = Field("", env="TELEGRAM_SECRET_TOKEN", repr=False)
    telegram_api_url: str = Field("", env="TELEGRAM_API_URL")
    twilio_account_sid: str = Field("", env="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = Field("", env="TWILIO_AUTH_TOKEN", repr=False)
    twilio_whatsapp_number: str = Field("", env="TWILIO_WHATSAPP_NUMBER")
    twilio_webhook_url: str = Field("", env="TWILIO_WEBHOOK_URL")
    twilio_api_url: str = Field("", env="TWILIO_API_URL")


def channels(env: Optional[Mapping[str, str]] = None) -> Channels:
    return _read(Channels, env)


CHANNEL_VARIABLES = tuple(name.upper() for name in Channels.__fields__)


def rasa_environment(settings: Settings, env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Variables that ``endpoints.yml`` and ``credentials.yml`` expand when Rasa starts."""
    dialect = settings.tracker_url.split(":", 1)[0].split("+", 1)[0]
    return {
        **{name.upper(): value for name, value in channels(env).dict().items()},
        "SV_TRACKER_DIALECT": dialect,
        "SV_TRACKER_URL": settings.tracker_url,
        "SV_ACTION_ENDPOINT": settings.action_endpoint,
        "SV_DATABASE_URL": settings.directory_url,
        "SV_MAX_MESSAGE_CHARS": str(settings.max_message_chars),
        "SV_LOCK_STORE": settings.lock_store,
        "SV_REDIS_HOST": settings.redis_host,
        "SV_REDIS_PORT": str(settings.redis_port),
        "SV_REDIS_DB": str(settings.redis_db),
        "SV_SESSION_SECRET": load_widget(env).session_secret,  # one per run, shared by the children
    }


# --- Exposure, identity and abuse limits (docs/security.md) ------------------------------------
def _comma_list(cls, value: Any) -> Any:
    return tuple(p.strip() for p in value.split(",") if p.strip()) if isinstance(value, str) else value


class Protection(_Group):
    rest_token: str = Field("", repr=False)  # SV_REST_TOKEN: REST needs "Authorization: Bearer <token>" when set
    actions_secret: str = Field("", repr=False)  # SV_ACTIONS_SECRET: header every action-server call must carry
    cors_origins: str = ""  # SV_CORS_ORIGINS: origins allowed by Rasa's CORS (never "*"); default the web server
    rate_per_address: int = 60  # SV_RATE_PER_ADDRESS: REST requests a minute per client address (0: off)
    rate_per_conversation: int = 30  # SV_RATE_PER_CONVERSATION: messages a minute per conversation (0: off)
    trusted_proxies: tuple = ("127.0.0.1", "::1")  # SV_TRUSTED_PROXIES: proxies whose X-Real-IP is the client's
    max_metadata_bytes: int = 1024  # SV_MAX_METADATA_BYTES: largest REST `metadata` (JSON) accepted
    webhook_dedup_seconds: int = 2 * 24 * 3600  # SV_WEBHOOK_DEDUP_SECONDS: how long a webhook id is remembered

    _ints = validator(
        "rate_per_address",
        "rate_per_conversation",
        "max_metadata_bytes",
        "webhook_dedup_seconds",
        pre=True,
        allow_reuse=True,
    )(_whole_number)
    _proxies = validator("trusted_proxies", pre=True, allow_reuse=True)(_comma_list)


ACTIONS_SECRET_HEADER = "X-Sportello-Actions-Secret"


def protection(env: Optional[Mapping[str, str]] = None) -> Protection:
    s, p = load(env), _read(Protection, env)
    return p if p.cors_origins else p.copy(update={"cors_origins": f"http://{s.host}:{s.web_port}"})


# -- Website widget: origins, embedding sites and session signing ---------------------------------
_ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$")
_RUN_SESSION_SECRET = secrets.token_urlsafe(32)


def _origins(value: Any, wildcard: bool = False) -> Tuple[str, ...]:
    if not isinstance(value, str):
        return value
    values = tuple(v.rstrip("/").lower() for v in re.split(r"[\s,]+", value) if v)
    for origin in values:
        if not _ORIGIN.match(origin) or ("*" in origin and not wildcard):
            raise ValueError(f"{origin!r} is not an origin like https://www.comune.example.it")
    return values


class WidgetSettings(_Group):
    # SV_PUBLIC_ORIGIN: origin(s) of the assistant's own web pages (the widget's iframe page); the only
    # Origins Socket.IO accepts. Default: this machine's web server.
    public_origins: Tuple[str, ...] = Field((), env="SV_PUBLIC_ORIGIN")
    # SV_SOCKET_URL: origin where the widget's iframe opens Socket.IO. Default: the Rasa server.
    socket_url: str = ""
    # SV_ALLOWED_EMBEDDERS: sites allowed to show the widget (CSP frame-ancestors of the iframe page).
    # Default: the demo site. Several values: separated by spaces or commas.
    allowed_embedders: Tuple[str, ...] = ()
    # SV_DEMO_PORT: port of the demo site (a stand-in for a Comune's site, another origin); 0: none.
    demo_port: int = 8081
    # SV_SESSION_SECRET: key that signs the widget's session tokens; replicas must share it.
    # Unset: random for this run (the entry point hands it to its children).
    session_secret: str = Field(_RUN_SESSION_SECRET, repr=False)

    _port = validator("demo_port", pre=True, allow_reuse=True)(_whole_number)

    @validator("public_origins", pre=True)
    def _public(cls, value: Any) -> Tuple[str, ...]:
        return _origins(value)

    @validator("socket_url", pre=True)
    def _socket(cls, value: Any) -> str:
        return _origins(value)[0] if value else ""

    @validator("allowed_embedders", pre=True)
    def _embedders(cls, value: Any) -> Tuple[str, ...]:
        return _origins(value, wildcard=True)


def load_widget(env: Optional[Mapping[str, str]] = None) -> WidgetSettings:
    base, w = load(env), _read(WidgetSettings, env)
    defaults: Dict[str, Any] = {}
    if not w.public_origins:
        defaults["public_origins"] = (f"http://{base.host}:{base.web_port}",)
    if not w.socket_url:
        defaults["socket_url"] = f"http://{base.host}:{base.rasa_port}"
    if not w.allowed_embedders:
        defaults["allowed_embedders"] = (f"http://{base.host}:{w.demo_port}",) + (
            (f"http://localhost:{w.demo_port}",) if base.host == "127.0.0.1" else ()
        )
    return w.copy(update=defaults)


def socket_url_given(env: Optional[Mapping[str, str]] = None) -> bool:
    """Whether SV_SOCKET_URL is set (it then wins over the web server's --rasa-url)."""
    return bool(_read(WidgetSettings, env).socket_url)


# -- The test set-up (scripts/services.py): PostgreSQL and Redis to use, else throwaway ones ----------
class ServiceUrls(_Group):
    sv_test_pg_url: str = Field("", env="SV_TEST_PG_URL")  # must answer when set
    sv_test_redis_url: str = Field("", env="SV_TEST_REDIS_URL")  # must answer when set


def service_urls(env: Optional[Mapping[str, str]] = None) -> ServiceUrls:
    return _read(ServiceUrls, env)


# -- The benchmark (scripts/bench.py, docs/benchmarks.md) -------------------------------------------
class Bench(_Group):
    concurrency: List[int] = [1, 5, 10, 20]  # SV_BENCH_CONCURRENCY: simultaneous conversations per level
    seconds: float = 20  # SV_BENCH_SECONDS: length of each level
    pause: Tuple[float, float] = (1, 3)  # SV_BENCH_PAUSE: a user's pause between messages (min,max s)
    train: bool = True  # SV_BENCH_TRAIN=0: skip the training measurement

    class Config:
        env_prefix = "SV_BENCH_"

    _lists = validator("concurrency", "pause", pre=True, allow_reuse=True)(_comma_list)

    @validator("train", pre=True)
    def _train(cls, value: Any) -> bool:
        return value is True or value != "0"


def bench(env: Optional[Mapping[str, str]] = None) -> Bench:
    return _read(Bench, env)
