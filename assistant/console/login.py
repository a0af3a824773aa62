"""Signing in and out: password, then the TOTP second factor (enrolled at the first login), with
slow-down after failures (assistant.console.auth)."""

from __future__ import annotations

import hmac
import secrets
from typing import Dict

from markupsafe import Markup
from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy import select

from assistant import db
from assistant.console import auth, pages
from assistant.console.pages import render
from assistant.handoff import models as hm
from assistant.handoff import service

TOO_MANY = "Troppi tentativi non riusciti. Riprova tra {wait} secondi."


def login_page(csrf: str, http_status: int = 200, error: str = "") -> response.HTTPResponse:
    return render("login.html", http_status=http_status, csrf=csrf, error=error)


async def login_form(request: Request):
    token = secrets.token_urlsafe(32)
    resp = login_page(token)
    a = auth.of(request)
    a.set_cookie(resp, a.login_cookie, token, max_age=1800)
    return resp


def too_many(wait: int, csrf: str):
    resp = login_page(csrf, 429, TOO_MANY.format(wait=wait))
    resp.headers["Retry-After"] = str(wait)
    return resp


async def login(request: Request):
    a = auth.of(request)
    cookie, given = request.cookies.get(a.login_cookie, ""), str(request.form.get("csrf", ""))
    if not cookie or not hmac.compare_digest(cookie, given):
        return response.text("Richiesta non valida (token CSRF)", status=403)
    username = str(request.form.get("username", "")).strip()[:80]
    password = str(request.form.get("password", ""))[:1000]
    keys = auth.throttle_keys(username, a.address(request))
    wait = auth.wait_seconds(keys, a.url)
    if wait:
        return too_many(wait, given)
    with db.session_scope(a.url) as session:
        operator = session.execute(select(hm.Operator).where(hm.Operator.username == username)).scalar_one_or_none()
        stored = operator.password_hash if operator is not None and operator.active else None
        operator_id = operator.id if operator is not None else None
    if not await auth.verify_password(stored, password):
        auth.record_failure(keys, a.url)
        return login_page(given, 401, "Nome utente o password non validi.")
    assert operator_id is not None  # the password matched an active operator
    with db.session_scope(a.url) as session:
        token = auth.new_session(session, operator_id, verified=False)
    resp = response.redirect("/login/codice", status=303)
    a.set_cookie(resp, a.cookie, token)
    return resp


def code_page(request: Request, user: Dict, http_status: int = 200, error: str = "") -> response.HTTPResponse:
    context = {"csrf": user["csrf"], "error": error, "enrol": not user["enrolled"]}
    if not user["enrolled"]:  # first login: a new secret, shown as a QR code and as text
        with db.session_scope(auth.of(request).url) as session:
            op = session.get(hm.Operator, user["operator_id"])
            if not op.totp_secret:
                op.totp_secret = auth.new_totp_secret()
            secret = op.totp_secret
        context.update(
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr=Markup(auth.qr_svg(auth.provisioning_uri(secret, user["username"]))),
        )
    return render("code.html", http_status=http_status, **context)


async def code_form(request: Request):
    user = auth.of(request).session_of(request, verified=False)
    if user is None:
        return response.redirect("/login")
    return code_page(request, user)


async def code(request: Request):
    a = auth.of(request)
    user = a.session_of(request, verified=False)
    if user is None:
        return response.text("Accesso richiesto", status=401)
    if not auth.csrf_ok(request, user["csrf"]):
        return response.text("Richiesta non valida (token CSRF)", status=403)
    keys = auth.throttle_keys(user["username"], a.address(request))
    wait = auth.wait_seconds(keys, a.url)
    if wait:
        return code_page(request, user, 429, TOO_MANY.format(wait=wait))
    with db.session_scope(a.url) as session:
        op = session.get(hm.Operator, user["operator_id"])
        step = auth.check_totp(op.totp_secret or "", str(request.form.get("codice", "")), op.totp_last_step)
        if step is not None:
            op.totp_last_step, op.totp_confirmed = step, True
            session.delete(session.get(hm.ConsoleSession, user["sid"]))
            token = auth.new_session(session, op.id, verified=True)  # a new id once fully signed in
    if step is None:
        auth.record_failure(keys, a.url)
        return code_page(request, user, 401, "Codice non valido. Controlla l'ora del telefono e riprova.")
    auth.clear_failures(keys, a.url)
    service.audit(user["username"], "login" if user["enrolled"] else "login_attiva_codice", "console", url=a.url)
    resp = response.redirect("/elenco" if user["role"] == hm.EDITOR else "/coda", status=303)
    a.set_cookie(resp, a.cookie, token)
    return resp


@auth.login_required(csrf=True, roles=hm.ROLES)
async def logout(request: Request):
    a = auth.of(request)
    with db.session_scope(a.url) as session:
        row = session.get(hm.ConsoleSession, request.ctx.user["sid"])
        if row:
            session.delete(row)
    resp = response.redirect("/login", status=303)
    del resp.cookies[a.cookie]
    return resp


def blueprint() -> Blueprint:
    return pages.blueprint(
        "console_login",
        [
            ("GET", "/login", login_form),
            ("POST", "/login", login),
            ("GET", "/login/codice", code_form),
            ("POST", "/login/codice", code),
            ("POST", "/logout", logout),
        ],
    )
