"""Operator console: a small Sanic app (the Sanic of Rasa's pins) with server-side sessions stored
hashed, CSRF tokens, a TOTP second factor, login slow-down and two roles. Pages are Jinja2 templates
with autoescaping on, so any text from a conversation is shown as text.

Who may do what (docs/operations.md):
- an operator sees the queue, takes an unassigned request, and acts only on requests assigned to
  them: reading the transcript, revealing personal data (with a reason), notes, replies, resuming
  the assistant, closing;
- a supervisor may act on any request, takes over another operator's request only with a reason,
  reads the audit log, and disables or re-enables operators (disabling ends their sessions at once).
Every view, reveal, note, reply, resume, close, take and take-over is written to the audit log, which
names the conversation by a keyed hash.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from functools import wraps
from pathlib import Path
from typing import Dict, Optional

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sanic import Sanic, response
from sanic.request import Request
from sqlalchemy import func, select

from assistant import db, settings
from assistant.console import auth
from assistant.handoff import lifecycle, models as hm, service
from assistant.handoff.redact import redact
from assistant.handoff.service import local_time  # noqa: F401  (the one time format, re-exported)

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATUS_LABELS = {hm.OPEN: "aperta", hm.IN_PROGRESS: "in carico", hm.CLOSED: "chiusa"}
MIN_REASON = 15  # characters of a reason to reveal personal data or take over a request

_templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                         autoescape=select_autoescape(["html"], default=True))


def hash_password(password: str) -> str:
    return auth.hash_password(password)


def create_operator(username: str, password: str, role: str = hm.OPERATOR, url: Optional[str] = None,
                    totp_secret: Optional[str] = None) -> int:
    """A new operator; the second factor is enrolled at first login (or given here, already confirmed)."""
    if role not in hm.ROLES:
        raise ValueError(f"role must be one of {hm.ROLES}")
    if len(password) < 12:
        raise ValueError("the password must have at least 12 characters")
    service.ensure_schema(url)
    with db.session_scope(url) as session:
        operator = hm.Operator(username=username, password_hash=hash_password(password), role=role,
                               totp_secret=totp_secret, totp_confirmed=bool(totp_secret))
        session.add(operator)
        session.flush()
        return operator.id


def render(name: str, http_status: int = 200, **context) -> response.HTTPResponse:
    return response.html(_templates.get_template(name).render(**context), status=http_status)


def _reason_ok(reason: str) -> bool:
    return len(reason) >= MIN_REASON and len(reason.split()) >= 2


def create_app(url: Optional[str] = None, rasa: Optional[service.RasaApi] = None,
               insecure_cookies: Optional[bool] = None, trusted_proxies: Optional[int] = None,
               name: str = "sportello_console") -> Sanic:
    s = settings.load()
    insecure = s.console_insecure_cookies if insecure_cookies is None else insecure_cookies
    proxies = s.trusted_proxies if trusted_proxies is None else trusted_proxies
    COOKIE, LOGIN_COOKIE = auth.cookie_names(insecure)
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    service.ensure_schema(url)
    app.ctx.rasa = rasa

    def address(request: Request) -> str:
        return auth.client_address(request.ip, request.headers.getall("x-forwarded-for", []), proxies)

    @app.middleware("response")
    async def headers(request: Request, resp):
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Content-Security-Policy"] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"

    def session_of(request: Request, verified: bool = True) -> Optional[Dict]:
        """The signed-in operator, or None (no cookie, expired, second factor missing, disabled)."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        with db.session_scope(url) as session:
            row = session.get(hm.ConsoleSession, auth.session_key(token))
            if row is None:
                return None
            moment = hm.now()
            if (moment - row.last_seen > lifecycle.SESSION_IDLE or moment - row.created > lifecycle.SESSION_MAX
                    or not row.operator.active):
                session.delete(row)
                return None
            if bool(row.verified) != verified:
                return None
            row.last_seen = moment
            op = row.operator
            return {"sid": row.id, "csrf": row.csrf, "operator_id": op.id, "username": op.username,
                    "role": op.role, "enrolled": bool(op.totp_confirmed)}

    def login_required(role: Optional[str] = None, csrf: bool = False, roles: tuple = hm.CASE_ROLES):
        """`role`: only that role; otherwise any of `roles` (by default the roles that handle requests)."""
        def decorator(handler):
            @wraps(handler)
            async def wrapped(request: Request, *args, **kwargs):
                user = session_of(request)
                if user is None:
                    if request.method == "GET":
                        return response.redirect("/login")
                    return response.text("Accesso richiesto", status=401)
                if (role and user["role"] != role) or (not role and user["role"] not in roles):
                    return response.text("Non autorizzato", status=403)
                if csrf and not hmac.compare_digest(str(request.form.get("csrf", "")), user["csrf"]):
                    return response.text("Richiesta non valida (token CSRF)", status=403)
                request.ctx.user = user
                return await handler(request, *args, **kwargs)
            return wrapped
        return decorator

    def audit(request: Request, action: str, target: str, reason: Optional[str] = None,
              conversation_id: Optional[str] = None) -> None:
        service.audit(request.ctx.user["username"], action, target, reason, url=url, conversation_id=conversation_id)

    # -- Login: password, then the second factor -------------------------------------------------
    def login_page(csrf: str, http_status: int = 200, error: str = "") -> response.HTTPResponse:
        return render("login.html", http_status=http_status, csrf=csrf, error=error)

    @app.get("/login")
    async def login_form(request: Request):
        token = secrets.token_urlsafe(32)
        resp = login_page(token)
        auth.set_cookie(resp, LOGIN_COOKIE, token, insecure, max_age=1800)
        return resp

    def too_many(wait: int, csrf: str, template: str = "login.html", **context):
        resp = render(template, http_status=429, csrf=csrf, error=f"Troppi tentativi non riusciti. "
                      f"Riprova tra {wait} secondi.", **context)
        resp.headers["Retry-After"] = str(wait)
        return resp

    @app.post("/login")
    async def login(request: Request):
        cookie, given = request.cookies.get(LOGIN_COOKIE, ""), str(request.form.get("csrf", ""))
        if not cookie or not hmac.compare_digest(cookie, given):
            return response.text("Richiesta non valida (token CSRF)", status=403)
        username = str(request.form.get("username", "")).strip()[:80]
        password = str(request.form.get("password", ""))[:1000]
        keys = auth.throttle_keys(username, address(request))
        wait = auth.wait_seconds(keys, url)
        if wait:
            return too_many(wait, given)
        with db.session_scope(url) as session:
            operator = session.execute(select(hm.Operator).where(hm.Operator.username == username)).scalar_one_or_none()
            stored = operator.password_hash if operator is not None and operator.active else None
            operator_id = operator.id if operator is not None else None
        if not await auth.verify_password(stored, password):
            auth.record_failure(keys, url)
            return login_page(given, 401, "Nome utente o password non validi.")
        with db.session_scope(url) as session:
            token = auth.new_session(session, operator_id, verified=False)
        resp = response.redirect("/login/codice", status=303)
        auth.set_cookie(resp, COOKIE, token, insecure)
        return resp

    def code_page(user: Dict, http_status: int = 200, error: str = "") -> response.HTTPResponse:
        context = {"csrf": user["csrf"], "error": error, "enrol": not user["enrolled"]}
        if not user["enrolled"]:  # first login: a new secret, shown as a QR code and as text
            with db.session_scope(url) as session:
                op = session.get(hm.Operator, user["operator_id"])
                if not op.totp_secret:
                    op.totp_secret = auth.new_totp_secret()
                secret = op.totp_secret
            context.update(secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                           qr=Markup(auth.qr_svg(auth.provisioning_uri(secret, user["username"]))))
        return render("code.html", http_status=http_status, **context)

    @app.get("/login/codice")
    async def code_form(request: Request):
        user = session_of(request, verified=False)
        if user is None:
            return response.redirect("/login")
        return code_page(user)

    @app.post("/login/codice")
    async def code(request: Request):
        user = session_of(request, verified=False)
        if user is None:
            return response.text("Accesso richiesto", status=401)
        if not hmac.compare_digest(str(request.form.get("csrf", "")), user["csrf"]):
            return response.text("Richiesta non valida (token CSRF)", status=403)
        keys = auth.throttle_keys(user["username"], address(request))
        wait = auth.wait_seconds(keys, url)
        if wait:
            return code_page(user, 429, f"Troppi tentativi non riusciti. Riprova tra {wait} secondi.")
        with db.session_scope(url) as session:
            op = session.get(hm.Operator, user["operator_id"])
            step = auth.check_totp(op.totp_secret or "", str(request.form.get("codice", "")), op.totp_last_step)
            if step is not None:
                op.totp_last_step, op.totp_confirmed = step, True
                session.delete(session.get(hm.ConsoleSession, user["sid"]))
                token = auth.new_session(session, op.id, verified=True)  # a new id once fully signed in
        if step is None:
            auth.record_failure(keys, url)
            return code_page(user, 401, "Codice non valido. Controlla l'ora del telefono e riprova.")
        auth.clear_failures(keys, url)
        service.audit(user["username"], "login" if user["enrolled"] else "login_attiva_codice", "console", url=url)
        resp = response.redirect("/elenco" if user["role"] == hm.EDITOR else "/coda", status=303)
        auth.set_cookie(resp, COOKIE, token, insecure)
        return resp

    @app.post("/logout")
    @login_required(csrf=True, roles=hm.ROLES)
    async def logout(request: Request):
        with db.session_scope(url) as session:
            row = session.get(hm.ConsoleSession, request.ctx.user["sid"])
            if row:
                session.delete(row)
        resp = response.redirect("/login", status=303)
        del resp.cookies[COOKIE]
        return resp

    # -- Queue and requests ----------------------------------------------------------------------
    def can_act(user: Dict, assignee_id: Optional[int]) -> bool:
        return user["role"] == hm.SUPERVISOR or (assignee_id is not None and assignee_id == user["operator_id"])

    @app.get("/")
    @login_required(roles=hm.ROLES)
    async def home(request: Request):
        return response.redirect("/elenco" if request.ctx.user["role"] == hm.EDITOR else "/coda")

    @app.get("/coda")
    @login_required()
    async def queue(request: Request):
        user = request.ctx.user
        status = request.args.get("stato", hm.OPEN)
        with db.session_scope(url) as session:
            query = select(hm.Handoff).order_by(hm.Handoff.created.desc())
            if status in hm.STATUSES:
                query = query.where(hm.Handoff.status == status)
            if request.args.get("mie") == "1":
                query = query.where(hm.Handoff.assignee_id == user["operator_id"])
            rows = [{"id": h.id, "created": local_time(h.created), "channel": h.channel,
                     "status": STATUS_LABELS[h.status], "assignee": h.assignee.username if h.assignee else "",
                     "contact": redact(h.contact or "") if can_act(user, h.assignee_id) else "—"}
                    for h in session.execute(query.limit(500)).scalars()]
        return render("queue.html", user=user, rows=rows, status=status, labels=STATUS_LABELS)

    def load_handoff(handoff_id: int):
        with db.session_scope(url) as session:
            h = session.get(hm.Handoff, handoff_id)
            if h is None:
                return None
            return {"id": h.id, "conversation_id": h.conversation_id, "channel": h.channel,
                    "created": local_time(h.created), "summary": h.summary, "contact": h.contact,
                    "status": h.status, "status_label": STATUS_LABELS[h.status], "assignee_id": h.assignee_id,
                    "assignee": h.assignee.username if h.assignee else None,
                    "notes": [{"at": local_time(n.created), "author": n.author.username,
                               "text": n.text} for n in h.notes]}

    def case_access(request: Request, handoff_id: int):
        """(handoff, None) when the user may act on it, else (None, an error response)."""
        h = load_handoff(handoff_id)
        if h is None:
            return None, response.text("Richiesta non trovata", status=404)
        if not can_act(request.ctx.user, h["assignee_id"]):
            return None, response.text("Non autorizzato: la richiesta è assegnata a un'altra persona", status=403)
        return h, None

    def target(h: Dict) -> str:
        return f"richiesta {h['id']}"

    async def view(request: Request, h: Dict, reveal: bool = False, message: str = ""):
        lines, error = [], ""
        if app.ctx.rasa is not None:
            try:
                tracker = await asyncio.get_running_loop().run_in_executor(None, app.ctx.rasa.tracker, h["conversation_id"])
                lines = service.transcript(tracker, reveal=reveal)
            except Exception as err:  # the console stays usable when Rasa is down
                error = f"Trascrizione non disponibile: {err}"
        shown = dict(h, summary=h["summary"] if reveal else redact(h["summary"] or ""),
                     contact=h["contact"] if reveal else redact(h["contact"] or ""))
        return render("handoff.html", user=request.ctx.user, h=shown, lines=lines, reveal=reveal, error=error,
                      message=message, can_push=h["channel"] in service.PUSH_CHANNELS, min_reason=MIN_REASON,
                      mine=h["assignee_id"] == request.ctx.user["operator_id"])

    @app.get("/richiesta/<handoff_id:int>")
    @login_required()
    async def show(request: Request, handoff_id: int):
        h = load_handoff(handoff_id)
        if h is None:
            return response.text("Richiesta non trovata", status=404)
        if h["assignee_id"] is None and not can_act(request.ctx.user, None):
            # an unassigned request: take it to read it (taking it is audited)
            return render("unassigned.html", user=request.ctx.user, h=h)
        h, denied = case_access(request, handoff_id)
        if denied:
            return denied
        audit(request, "vedi", target(h), conversation_id=h["conversation_id"])
        return await view(request, h)

    @app.post("/richiesta/<handoff_id:int>/mostra")
    @login_required(csrf=True)
    async def reveal(request: Request, handoff_id: int):
        h, denied = case_access(request, handoff_id)
        if denied:
            return denied
        reason = str(request.form.get("motivo", "")).strip()[:500]
        if not _reason_ok(reason):
            return await view(request, h, message=f"Per vedere i dati personali scrivi il motivo "
                              f"(almeno {MIN_REASON} caratteri).")
        audit(request, "mostra_dati", target(h), reason, conversation_id=h["conversation_id"])
        return await view(request, h, reveal=True)

    def update(handoff_id: int, change) -> None:
        with db.session_scope(url) as session:
            change(session, session.get(hm.Handoff, handoff_id))

    def back(handoff_id: int):
        return response.redirect(f"/richiesta/{handoff_id}", status=303)

    @app.post("/richiesta/<handoff_id:int>/assegna")
    @login_required(csrf=True)
    async def assign(request: Request, handoff_id: int):
        """Take an unassigned request (anyone), or confirm one's own."""
        user = request.ctx.user
        h = load_handoff(handoff_id)
        if h is None:
            return response.text("Richiesta non trovata", status=404)
        if h["assignee_id"] not in (None, user["operator_id"]):
            return response.text("Non autorizzato: la richiesta è di un'altra persona (un supervisore può "
                                 "subentrare indicando il motivo)", status=403)

        def change(_session, record):
            record.assignee_id, record.status = user["operator_id"], hm.IN_PROGRESS
        update(handoff_id, change)
        audit(request, "assegna", target(h), conversation_id=h["conversation_id"])
        return back(handoff_id)

    @app.post("/richiesta/<handoff_id:int>/subentra")
    @login_required(role=hm.SUPERVISOR, csrf=True)
    async def take_over(request: Request, handoff_id: int):
        h = load_handoff(handoff_id)
        if h is None:
            return response.text("Richiesta non trovata", status=404)
        reason = str(request.form.get("motivo", "")).strip()[:500]
        if not _reason_ok(reason):
            return await view(request, h, message=f"Per subentrare scrivi il motivo (almeno {MIN_REASON} caratteri).")

        def change(_session, record):
            record.assignee_id, record.status = request.ctx.user["operator_id"], hm.IN_PROGRESS
        update(handoff_id, change)
        audit(request, "subentra", target(h), f"da {h['assignee'] or 'nessuno'}: {reason}",
              conversation_id=h["conversation_id"])
        return back(handoff_id)

    @app.post("/richiesta/<handoff_id:int>/nota")
    @login_required(csrf=True)
    async def note(request: Request, handoff_id: int):
        h, denied = case_access(request, handoff_id)
        if denied:
            return denied
        text = str(request.form.get("testo", "")).strip()[:5000]
        if text:
            update(handoff_id, lambda s_, record: s_.add(hm.Note(handoff_id=record.id, text=text,
                                                                 author_id=request.ctx.user["operator_id"])))
            audit(request, "nota", target(h), conversation_id=h["conversation_id"])
        return back(handoff_id)

    async def rasa_call(fn, *args):
        if app.ctx.rasa is None:
            raise RuntimeError("Rasa non configurato")
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    @app.post("/richiesta/<handoff_id:int>/rispondi")
    @login_required(csrf=True)
    async def reply(request: Request, handoff_id: int):
        h, denied = case_access(request, handoff_id)
        if denied:
            return denied
        text = str(request.form.get("testo", "")).strip()[:2000]
        if h["channel"] not in service.PUSH_CHANNELS:
            return await view(request, h, message="Da questo canale non si può scrivere alla persona.")
        if text:
            try:
                await rasa_call(app.ctx.rasa.send, h["conversation_id"], h["channel"], text)
            except Exception as err:
                return await view(request, h, message=f"Messaggio non inviato: {err}")
            audit(request, "rispondi", target(h), conversation_id=h["conversation_id"])
        return back(handoff_id)

    @app.post("/richiesta/<handoff_id:int>/riprendi")
    @login_required(csrf=True)
    async def resume(request: Request, handoff_id: int):
        h, denied = case_access(request, handoff_id)
        if denied:
            return denied
        try:
            await rasa_call(app.ctx.rasa.resume, h["conversation_id"])
        except Exception as err:
            return await view(request, h, message=f"Non riesco a riattivare l'assistente: {err}")
        audit(request, "riprendi_bot", target(h), conversation_id=h["conversation_id"])
        return back(handoff_id)

    @app.post("/richiesta/<handoff_id:int>/chiudi")
    @login_required(csrf=True)
    async def close(request: Request, handoff_id: int):
        h, denied = case_access(request, handoff_id)
        if denied:
            return denied

        def change(_session, record):
            record.status, record.closed = hm.CLOSED, hm.now()
        update(handoff_id, change)
        audit(request, "chiudi", target(h), conversation_id=h["conversation_id"])
        return back(handoff_id)

    # -- Supervisors -----------------------------------------------------------------------------
    @app.get("/registro")
    @login_required(role=hm.SUPERVISOR)
    async def audit_log(request: Request):
        with db.session_scope(url) as session:
            rows = [{"at": local_time(a.at, "%d/%m/%Y %H:%M:%S"), "operator": a.operator, "action": a.action,
                     "target": a.target, "reason": a.reason or "", "conversation": a.conversation or ""}
                    for a in session.execute(select(hm.AuditEntry).order_by(hm.AuditEntry.id.desc()).limit(1000)).scalars()]
        return render("audit.html", user=request.ctx.user, rows=rows)

    @app.get("/operatori")
    @login_required(role=hm.SUPERVISOR)
    async def operators(request: Request):
        with db.session_scope(url) as session:
            live = dict(session.execute(select(hm.ConsoleSession.operator_id, func.count(hm.ConsoleSession.id))
                                        .group_by(hm.ConsoleSession.operator_id)).all())
            rows = [{"id": o.id, "username": o.username, "role": o.role, "active": o.active,
                     "enrolled": o.totp_confirmed, "sessions": live.get(o.id, 0)}
                    for o in session.execute(select(hm.Operator).order_by(hm.Operator.username)).scalars()]
        return render("operators.html", user=request.ctx.user, rows=rows)

    async def set_active(request: Request, operator_id: int, active: bool):
        if operator_id == request.ctx.user["operator_id"]:
            return response.text("Non puoi disattivare te stesso", status=400)
        with db.session_scope(url) as session:
            op = session.get(hm.Operator, operator_id)
            if op is None:
                return response.text("Operatore non trovato", status=404)
            op.active = active
            ended = auth.end_sessions(session, op.id) if not active else 0
            username = op.username
        audit(request, "disattiva_operatore" if not active else "riattiva_operatore", f"operatore {username}",
              f"sessioni chiuse: {ended}" if not active else None)
        return response.redirect("/operatori", status=303)

    @app.post("/operatori/<operator_id:int>/disattiva")
    @login_required(role=hm.SUPERVISOR, csrf=True)
    async def disable(request: Request, operator_id: int):
        return await set_active(request, operator_id, False)

    @app.post("/operatori/<operator_id:int>/riattiva")
    @login_required(role=hm.SUPERVISOR, csrf=True)
    async def enable(request: Request, operator_id: int):
        return await set_active(request, operator_id, True)

    @app.post("/operatori/<operator_id:int>/azzera-codice")
    @login_required(role=hm.SUPERVISOR, csrf=True)
    async def reset_totp(request: Request, operator_id: int):
        """A lost phone: the operator enrols a new second factor at the next login."""
        with db.session_scope(url) as session:
            op = session.get(hm.Operator, operator_id)
            if op is None:
                return response.text("Operatore non trovato", status=404)
            op.totp_secret, op.totp_confirmed, op.totp_last_step = None, False, None
            auth.end_sessions(session, op.id)
            username = op.username
        audit(request, "azzera_codice", f"operatore {username}")
        return response.redirect("/operatori", status=303)

    from assistant.console import directory_views  # the services directory pages (/elenco)
    directory_views.register(app, url, login_required, render)
    app.static("/static", str(HERE / "static"), name="console_static")
    return app
