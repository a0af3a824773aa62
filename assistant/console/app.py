"""Operator console: a small Sanic app (the Sanic of Rasa's pins) with server-side sessions, CSRF
tokens, login throttling and two roles. Pages are Jinja2 templates with autoescaping on, so any text
from a conversation is shown as text."""
from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import secrets
from functools import wraps
from pathlib import Path
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response
from sanic.request import Request
from sqlalchemy import delete, func, select

from assistant import db
from assistant.handoff import models as hm
from assistant.handoff import service

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
COOKIE, LOGIN_COOKIE = "sv_console", "sv_login"
MAX_FAILURES, MAX_FAILURES_PER_ADDRESS, FAILURE_WINDOW = 5, 30, dt.timedelta(minutes=15)
SESSION_IDLE, SESSION_MAX = dt.timedelta(minutes=30), dt.timedelta(hours=8)
STATUS_LABELS = {hm.OPEN: "aperta", hm.IN_PROGRESS: "in carico", hm.CLOSED: "chiusa"}
HASHER = PasswordHasher()

# Times are stored in UTC and shown to operators in the region's time zone.
CONSOLE_TIMEZONE = "Europe/Rome"


def local_time(value: dt.datetime, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (naive, UTC) time as the operators read it, e.g. '24/11/2026 20:05'."""
    try:
        from zoneinfo import ZoneInfo
        return value.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(CONSOLE_TIMEZONE)).strftime(fmt)
    except Exception:  # no time-zone data on the system: say which time it is
        return value.strftime(fmt) + " UTC"


_templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                         autoescape=select_autoescape(["html"], default=True))


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def create_operator(username: str, password: str, role: str = hm.OPERATOR, url: Optional[str] = None) -> int:
    if role not in hm.ROLES:
        raise ValueError(f"role must be one of {hm.ROLES}")
    if len(password) < 12:
        raise ValueError("the password must have at least 12 characters")
    service.ensure_schema(url)
    with db.session_scope(url) as session:
        operator = hm.Operator(username=username, password_hash=hash_password(password), role=role)
        session.add(operator)
        session.flush()
        return operator.id


def render(name: str, http_status: int = 200, **context) -> response.HTTPResponse:
    return response.html(_templates.get_template(name).render(**context), status=http_status)


def create_app(url: Optional[str] = None, rasa: Optional[service.RasaApi] = None, secure_cookies: bool = False,
               name: str = "sportello_console") -> Sanic:
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    service.ensure_schema(url)
    app.ctx.rasa = rasa

    def set_cookie(resp, key: str, value: str, max_age: Optional[int] = None) -> None:
        resp.cookies[key] = value
        resp.cookies[key]["httponly"] = True
        resp.cookies[key]["samesite"] = "Strict"
        resp.cookies[key]["path"] = "/"
        if secure_cookies:
            resp.cookies[key]["secure"] = True
        if max_age is not None:
            resp.cookies[key]["max-age"] = max_age

    @app.middleware("response")
    async def headers(request: Request, resp):
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Content-Security-Policy"] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"

    def current(request: Request):
        sid = request.cookies.get(COOKIE)
        if not sid:
            return None
        with db.session_scope(url) as session:
            row = session.get(hm.ConsoleSession, sid)
            if row is None:
                return None
            moment = hm.now()
            if moment - row.last_seen > SESSION_IDLE or moment - row.created > SESSION_MAX:
                session.delete(row)
                return None
            row.last_seen = moment
            return {"sid": row.id, "csrf": row.csrf, "operator_id": row.operator.id,
                    "username": row.operator.username, "role": row.operator.role}

    def login_required(role: Optional[str] = None, csrf: bool = False):
        def decorator(handler):
            @wraps(handler)
            async def wrapped(request: Request, *args, **kwargs):
                user = current(request)
                if user is None:
                    if request.method == "GET":
                        return response.redirect("/login")
                    return response.text("Accesso richiesto", status=401)
                if role and user["role"] != role:
                    return response.text("Non autorizzato", status=403)
                if csrf and not hmac.compare_digest(str(request.form.get("csrf", "")), user["csrf"]):
                    return response.text("Richiesta non valida (token CSRF)", status=403)
                request.ctx.user = user
                return await handler(request, *args, **kwargs)
            return wrapped
        return decorator

    def throttled(key: str) -> bool:
        """5 failures for one user name, or 30 from one address, in 15 minutes: wait."""
        since = hm.now() - FAILURE_WINDOW
        with db.session_scope(url) as session:
            count = session.execute(select(func.count(hm.LoginFailure.id)).where(
                hm.LoginFailure.key == key, hm.LoginFailure.at > since)).scalar_one()
        return count >= (MAX_FAILURES_PER_ADDRESS if key.startswith("ip:") else MAX_FAILURES)

    @app.get("/login")
    async def login_form(request: Request):
        token = secrets.token_urlsafe(32)
        resp = render("login.html", csrf=token)
        set_cookie(resp, LOGIN_COOKIE, token, max_age=1800)
        return resp

    @app.post("/login")
    async def login(request: Request):
        cookie, given = request.cookies.get(LOGIN_COOKIE, ""), str(request.form.get("csrf", ""))
        if not cookie or not hmac.compare_digest(cookie, given):
            return response.text("Richiesta non valida (token CSRF)", status=403)
        username = str(request.form.get("username", "")).strip()[:80]
        password = str(request.form.get("password", ""))
        keys = [f"user:{username.lower()}", f"ip:{request.remote_addr or request.ip}"]
        if any(throttled(k) for k in keys):
            return render("login.html", http_status=429, csrf=given,
                          error="Troppi tentativi non riusciti. Riprova tra 15 minuti.")
        with db.session_scope(url) as session:
            operator = session.execute(select(hm.Operator).where(hm.Operator.username == username)).scalar_one_or_none()
            ok = False
            if operator is not None:
                try:
                    ok = HASHER.verify(operator.password_hash, password)
                except (VerifyMismatchError, InvalidHashError):
                    ok = False
            else:
                HASHER.hash(password)  # same time spent whether or not the user exists
            if not ok:
                session.add_all([hm.LoginFailure(key=k) for k in keys])
                failed = True
            else:
                failed = False
                sid, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                session.add(hm.ConsoleSession(id=sid, operator_id=operator.id, csrf=csrf_token))
                session.execute(delete(hm.LoginFailure).where(hm.LoginFailure.key == keys[0]))
        if failed:
            return render("login.html", http_status=401, csrf=given, error="Nome utente o password non validi.")
        service.audit(username, "login", "console", url=url)
        resp = response.redirect("/coda", status=303)
        set_cookie(resp, COOKIE, sid)
        return resp

    @app.post("/logout")
    @login_required(csrf=True)
    async def logout(request: Request):
        with db.session_scope(url) as session:
            row = session.get(hm.ConsoleSession, request.ctx.user["sid"])
            if row:
                session.delete(row)
        resp = response.redirect("/login", status=303)
        del resp.cookies[COOKIE]
        return resp

    @app.get("/")
    @login_required()
    async def home(request: Request):
        return response.redirect("/coda")

    @app.get("/coda")
    @login_required()
    async def queue(request: Request):
        status = request.args.get("stato", hm.OPEN)
        with db.session_scope(url) as session:
            query = select(hm.Handoff).order_by(hm.Handoff.created.desc())
            if status in hm.STATUSES:
                query = query.where(hm.Handoff.status == status)
            if request.args.get("mie") == "1":
                query = query.where(hm.Handoff.assignee_id == request.ctx.user["operator_id"])
            rows = [{"id": h.id, "created": local_time(h.created), "channel": h.channel,
                     "status": STATUS_LABELS[h.status], "assignee": h.assignee.username if h.assignee else "",
                     "contact": h.contact or ""} for h in session.execute(query.limit(500)).scalars()]
        return render("queue.html", user=request.ctx.user, rows=rows, status=status, labels=STATUS_LABELS)

    def load_handoff(handoff_id: int):
        with db.session_scope(url) as session:
            h = session.get(hm.Handoff, handoff_id)
            if h is None:
                return None
            return {"id": h.id, "conversation_id": h.conversation_id, "channel": h.channel,
                    "created": local_time(h.created), "summary": h.summary, "contact": h.contact,
                    "status": h.status, "status_label": STATUS_LABELS[h.status],
                    "assignee": h.assignee.username if h.assignee else None,
                    "notes": [{"at": local_time(n.created), "author": n.author.username,
                               "text": n.text} for n in h.notes]}

    async def view(request: Request, handoff_id: int, reveal: bool = False, message: str = ""):
        h = load_handoff(handoff_id)
        if h is None:
            return response.text("Richiesta non trovata", status=404)
        lines, error = [], ""
        if app.ctx.rasa is not None:
            try:
                tracker = await asyncio.get_running_loop().run_in_executor(None, app.ctx.rasa.tracker, h["conversation_id"])
                lines = service.transcript(tracker, reveal=reveal)
            except Exception as err:  # the console stays usable when Rasa is down
                error = f"Trascrizione non disponibile: {err}"
        return render("handoff.html", user=request.ctx.user, h=h, lines=lines, reveal=reveal, error=error,
                      message=message, can_push=h["channel"] in service.PUSH_CHANNELS)

    @app.get("/richiesta/<handoff_id:int>")
    @login_required()
    async def show(request: Request, handoff_id: int):
        return await view(request, handoff_id)

    @app.post("/richiesta/<handoff_id:int>/mostra")
    @login_required(csrf=True)
    async def reveal(request: Request, handoff_id: int):
        reason = str(request.form.get("motivo", "")).strip()
        if len(reason) < 5:
            return await view(request, handoff_id, message="Per vedere i dati personali scrivi il motivo.")
        service.audit(request.ctx.user["username"], "mostra_dati", f"richiesta {handoff_id}", reason, url=url)
        return await view(request, handoff_id, reveal=True)

    def update(handoff_id: int, change) -> bool:
        with db.session_scope(url) as session:
            h = session.get(hm.Handoff, handoff_id)
            if h is None:
                return False
            change(session, h)
            return True

    def back(handoff_id: int):
        return response.redirect(f"/richiesta/{handoff_id}", status=303)

    @app.post("/richiesta/<handoff_id:int>/assegna")
    @login_required(csrf=True)
    async def assign(request: Request, handoff_id: int):
        def change(_session, h):
            h.assignee_id, h.status = request.ctx.user["operator_id"], hm.IN_PROGRESS
        if not update(handoff_id, change):
            return response.text("Richiesta non trovata", status=404)
        service.audit(request.ctx.user["username"], "assegna", f"richiesta {handoff_id}", url=url)
        return back(handoff_id)

    @app.post("/richiesta/<handoff_id:int>/nota")
    @login_required(csrf=True)
    async def note(request: Request, handoff_id: int):
        text = str(request.form.get("testo", "")).strip()[:5000]
        if text and not update(handoff_id, lambda s, h: s.add(hm.Note(handoff_id=h.id, text=text,
                                                                    author_id=request.ctx.user["operator_id"]))):
            return response.text("Richiesta non trovata", status=404)
        return back(handoff_id)

    async def rasa_call(fn, *args):
        if app.ctx.rasa is None:
            raise RuntimeError("Rasa non configurato")
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    @app.post("/richiesta/<handoff_id:int>/rispondi")
    @login_required(csrf=True)
    async def reply(request: Request, handoff_id: int):
        h = load_handoff(handoff_id)
        text = str(request.form.get("testo", "")).strip()[:2000]
        if h is None:
            return response.text("Richiesta non trovata", status=404)
        if h["channel"] not in service.PUSH_CHANNELS:
            return await view(request, handoff_id, message="Da questo canale non si può scrivere alla persona.")
        if text:
            try:
                await rasa_call(app.ctx.rasa.send, h["conversation_id"], h["channel"], text)
            except Exception as err:
                return await view(request, handoff_id, message=f"Messaggio non inviato: {err}")
            service.audit(request.ctx.user["username"], "rispondi", f"richiesta {handoff_id}", url=url)
        return back(handoff_id)

    @app.post("/richiesta/<handoff_id:int>/riprendi")
    @login_required(csrf=True)
    async def resume(request: Request, handoff_id: int):
        h = load_handoff(handoff_id)
        if h is None:
            return response.text("Richiesta non trovata", status=404)
        try:
            await rasa_call(app.ctx.rasa.resume, h["conversation_id"])
        except Exception as err:
            return await view(request, handoff_id, message=f"Non riesco a riattivare l'assistente: {err}")
        service.audit(request.ctx.user["username"], "riprendi_bot", f"richiesta {handoff_id}", url=url)
        return back(handoff_id)

    @app.post("/richiesta/<handoff_id:int>/chiudi")
    @login_required(csrf=True)
    async def close(request: Request, handoff_id: int):
        def change(_session, h):
            h.status, h.closed = hm.CLOSED, hm.now()
        if not update(handoff_id, change):
            return response.text("Richiesta non trovata", status=404)
        service.audit(request.ctx.user["username"], "chiudi", f"richiesta {handoff_id}", url=url)
        return back(handoff_id)

    @app.get("/registro")
    @login_required(role=hm.SUPERVISOR)
    async def audit_log(request: Request):
        with db.session_scope(url) as session:
            rows = [{"at": local_time(a.at, "%d/%m/%Y %H:%M:%S"), "operator": a.operator, "action": a.action,
                     "target": a.target, "reason": a.reason or ""}
                    for a in session.execute(select(hm.AuditEntry).order_by(hm.AuditEntry.at.desc()).limit(1000)).scalars()]
        return render("audit.html", user=request.ctx.user, rows=rows)

    from assistant.console import directory_views  # the services directory pages (/elenco)
    directory_views.register(app, url, login_required, render)
    app.static("/static", str(HERE / "static"), name="console_static")
    return app
