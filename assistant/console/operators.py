"""Supervisors' pages: the audit log, and the operators (disable or re-enable one, which ends their
sessions at once; reset a lost second factor)."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy import func, select

from assistant import db
from assistant.console import auth, pages
from assistant.console.auth import login_required
from assistant.console.pages import audit, render
from assistant.handoff import models as hm
from assistant.handoff.service import local_time


@login_required(role=hm.SUPERVISOR)
async def audit_log(request: Request):
    with db.session_scope(request.app.ctx.url) as session:
        rows = [
            {
                "at": local_time(a.at, "%d/%m/%Y %H:%M:%S"),
                "operator": a.operator,
                "action": a.action,
                "target": a.target,
                "reason": a.reason or "",
                "conversation": a.conversation or "",
            }
            for a in session.execute(select(hm.AuditEntry).order_by(hm.AuditEntry.id.desc()).limit(1000)).scalars()
        ]
    return render("audit.html", user=request.ctx.user, rows=rows)


@login_required(role=hm.SUPERVISOR)
async def operators(request: Request):
    with db.session_scope(request.app.ctx.url) as session:
        live = dict(
            session.execute(
                select(hm.ConsoleSession.operator_id, func.count(hm.ConsoleSession.id)).group_by(
                    hm.ConsoleSession.operator_id
                )
            ).all()
        )
        rows = [
            {
                "id": o.id,
                "username": o.username,
                "role": o.role,
                "active": o.active,
                "enrolled": o.totp_confirmed,
                "sessions": live.get(o.id, 0),
            }
            for o in session.execute(select(hm.Operator).order_by(hm.Operator.username)).scalars()
        ]
    return render("operators.html", user=request.ctx.user, rows=rows)


async def set_active(request: Request, operator_id: int, active: bool):
    if operator_id == request.ctx.user["operator_id"]:
        return response.text("Non puoi disattivare te stesso", status=400)
    with db.session_scope(request.app.ctx.url) as session:
        op = session.get(hm.Operator, operator_id)
        if op is None:
            return response.text("Operatore non trovato", status=404)
        op.active = active
        ended = auth.end_sessions(session, op.id) if not active else 0
        username = op.username
    audit(
        request,
        "disattiva_operatore" if not active else "riattiva_operatore",
        f"operatore {username}",
        f"sessioni chiuse: {ended}" if not active else None,
    )
    return response.redirect("/operatori", status=303)


@login_required(role=hm.SUPERVISOR, csrf=True)
async def disable(request: Request, operator_id: int):
    return await set_active(request, operator_id, False)


@login_required(role=hm.SUPERVISOR, csrf=True)
async def enable(request: Request, operator_id: int):
    return await set_active(request, operator_id, True)


@login_required(role=hm.SUPERVISOR, csrf=True)
async def reset_totp(request: Request, operator_id: int):
    """A lost phone: the operator enrols a new second factor at the next login."""
    with db.session_scope(request.app.ctx.url) as session:
        op = session.get(hm.Operator, operator_id)
        if op is None:
            return response.text("Operatore non trovato", status=404)
        op.totp_secret, op.totp_confirmed, op.totp_last_step = None, False, None
        auth.end_sessions(session, op.id)
        username = op.username
    audit(request, "azzera_codice", f"operatore {username}")
    return response.redirect("/operatori", status=303)


def blueprint() -> Blueprint:
    return pages.blueprint(
        "console_operators",
        [
            ("GET", "/registro", audit_log),
            ("GET", "/operatori", operators),
            ("POST", "/operatori/<operator_id:int>/disattiva", disable),
            ("POST", "/operatori/<operator_id:int>/riattiva", enable),
            ("POST", "/operatori/<operator_id:int>/azzera-codice", reset_totp),
        ],
    )
