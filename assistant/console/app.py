"""Operator console: a small Sanic app (the Sanic of Rasa's pins) with server-side sessions stored
hashed, CSRF tokens, a TOTP second factor, login slow-down and two roles (assistant.console.auth).
Pages are Jinja2 templates with autoescaping on, so any text from a conversation is shown as text.

Who may do what (docs/operations.md):
- an operator sees the queue, takes an unassigned request, and acts only on requests assigned to
  them: reading the transcript, revealing personal data (with a reason), notes, replies, resuming
  the assistant, closing;
- a supervisor may act on any request, takes over another operator's request only with a reason,
  reads the audit log, and disables or re-enables operators (disabling ends their sessions at once).
Every view, reveal, note, reply, resume, close, take and take-over is written to the audit log, which
names the conversation by a keyed hash.

One blueprint per area: login (assistant.console.login), requests (handoffs), supervisors
(operators), the services directory (directory_views). Their shared state is ``app.ctx``: ``url``
(the database), ``auth`` (sessions and cookies) and ``rasa`` (the async Rasa HTTP API client, or None).
"""

from __future__ import annotations

from typing import Optional

from sanic import Blueprint, Sanic
from sanic.request import Request

from assistant import settings
from assistant.console import auth, directory_views, handoffs, login, operators
from assistant.console.auth import create_operator, hash_password  # noqa: F401  (the console's public API)
from assistant.console.handoffs import MIN_REASON, STATUS_LABELS  # noqa: F401
from assistant.console.pages import HERE, render
from assistant.handoff import service
from assistant.handoff.rasa_client import RasaApi
from assistant.handoff.service import local_time  # noqa: F401  (the one time format, re-exported)


async def security_headers(request: Request, resp) -> None:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Content-Security-Policy"] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"


def create_app(
    url: Optional[str] = None,
    rasa: Optional[RasaApi] = None,
    insecure_cookies: Optional[bool] = None,
    trusted_proxies: Optional[int] = None,
    name: str = "sportello_console",
) -> Sanic:
    s = settings.load()
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    service.ensure_schema(url)
    app.ctx.url, app.ctx.rasa = url, rasa
    app.ctx.auth = auth.ConsoleAuth(
        url,
        s.console_insecure_cookies if insecure_cookies is None else insecure_cookies,
        s.trusted_proxies if trusted_proxies is None else trusted_proxies,
    )
    app.register_middleware(security_headers, "response")
    app.blueprint(login.blueprint())
    app.blueprint(handoffs.blueprint())
    app.blueprint(operators.blueprint())
    directory = Blueprint("console_directory")  # the services directory pages (/elenco)
    directory_views.register(directory, url, auth.login_required, render)
    app.blueprint(directory)
    app.static("/static", str(HERE / "static"), name="console_static")
    return app
