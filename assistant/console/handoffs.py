"""The queue of handoff requests and the work on one request: reading the transcript (redacted),
revealing personal data with a reason, taking and taking over, notes, replies through the person's
channel, resuming the assistant, closing. Every action is written to the audit log.

An operator acts only on requests assigned to them; a supervisor on any (docs/operations.md)."""

from __future__ import annotations

from functools import wraps
from typing import Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy import select

from assistant import db
from assistant.console import pages
from assistant.console.auth import login_required
from assistant.console.pages import audit, render
from assistant.handoff import models as hm
from assistant.handoff import service
from assistant.handoff.redact import redact
from assistant.handoff.service import local_time

STATUS_LABELS = {hm.OPEN: "aperta", hm.IN_PROGRESS: "in carico", hm.CLOSED: "chiusa"}
MIN_REASON = 15  # characters of a reason to reveal personal data or take over a request


def reason_ok(reason: str) -> bool:
    return len(reason) >= MIN_REASON and len(reason.split()) >= 2


def can_act(user: Dict, assignee_id: Optional[int]) -> bool:
    return user["role"] == hm.SUPERVISOR or (assignee_id is not None and assignee_id == user["operator_id"])


def load_handoff(url: Optional[str], handoff_id: int):
    with db.session_scope(url) as session:
        h = session.get(hm.Handoff, handoff_id)
        if h is None:
            return None
        return {
            "id": h.id,
            "conversation_id": h.conversation_id,
            "channel": h.channel,
            "created": local_time(h.created),
            "summary": h.summary,
            "contact": h.contact,
            "status": h.status,
            "status_label": STATUS_LABELS[h.status],
            "assignee_id": h.assignee_id,
            "assignee": h.assignee.username if h.assignee else None,
            "notes": [{"at": local_time(n.created), "author": n.author.username, "text": n.text} for n in h.notes],
        }


def case_access(request: Request, handoff_id: int):
    """(handoff, None) when the user may act on it, else (None, an error response)."""
    h = load_handoff(request.app.ctx.url, handoff_id)
    if h is None:
        return None, response.text("Richiesta non trovata", status=404)
    if not can_act(request.ctx.user, h["assignee_id"]):
        return None, response.text("Non autorizzato: la richiesta è assegnata a un'altra persona", status=403)
    return h, None


def on_case(view_):
    """A view of one request that the user may act on, called as ``view_(request, h)``; else 404 or 403."""

    @wraps(view_)
    async def checked(request: Request, handoff_id: int):
        h, denied = case_access(request, handoff_id)
        return denied or await view_(request, h)

    return checked


def target(h: Dict) -> str:
    return f"richiesta {h['id']}"


def audit_case(request: Request, action: str, h: Dict, reason: Optional[str] = None) -> None:
    audit(request, action, target(h), reason, conversation_id=h["conversation_id"])


def update(request: Request, handoff_id: int, change) -> None:
    with db.session_scope(request.app.ctx.url) as session:
        change(session, session.get(hm.Handoff, handoff_id))


def back(handoff_id: int):
    return response.redirect(f"/richiesta/{handoff_id}", status=303)


def rasa_of(request: Request):
    rasa = request.app.ctx.rasa
    if rasa is None:
        raise RuntimeError("Rasa non configurato")
    return rasa


async def view(request: Request, h: Dict, reveal: bool = False, message: str = ""):
    lines, error = [], ""
    if request.app.ctx.rasa is not None:
        try:
            lines = service.transcript(await request.app.ctx.rasa.tracker(h["conversation_id"]), reveal=reveal)
        except Exception as err:  # the console stays usable when Rasa is down
            error = f"Trascrizione non disponibile: {err}"
    shown = dict(
        h,
        summary=h["summary"] if reveal else redact(h["summary"] or ""),
        contact=h["contact"] if reveal else redact(h["contact"] or ""),
    )
    return render(
        "handoff.html",
        user=request.ctx.user,
        h=shown,
        lines=lines,
        reveal=reveal,
        error=error,
        message=message,
        can_push=h["channel"] in service.PUSH_CHANNELS,
        min_reason=MIN_REASON,
        mine=h["assignee_id"] == request.ctx.user["operator_id"],
    )


@login_required(roles=hm.ROLES)
async def home(request: Request):
    return response.redirect("/elenco" if request.ctx.user["role"] == hm.EDITOR else "/coda")


@login_required()
async def queue(request: Request):
    user = request.ctx.user
    status = request.args.get("stato", hm.OPEN)
    with db.session_scope(request.app.ctx.url) as session:
        query = select(hm.Handoff).order_by(hm.Handoff.created.desc())
        if status in hm.STATUSES:
            query = query.where(hm.Handoff.status == status)
        if request.args.get("mie") == "1":
            query = query.where(hm.Handoff.assignee_id == user["operator_id"])
        rows = [
            {
                "id": h.id,
                "created": local_time(h.created),
                "channel": h.channel,
                "status": STATUS_LABELS[h.status],
                "assignee": h.assignee.username if h.assignee else "",
                "contact": redact(h.contact or "") if can_act(user, h.assignee_id) else "—",
            }
            for h in session.execute(query.limit(500)).scalars()
        ]
    return render("queue.html", user=user, rows=rows, status=status, labels=STATUS_LABELS)


@login_required()
async def show(request: Request, handoff_id: int):
    h = load_handoff(request.app.ctx.url, handoff_id)
    if h is None:
        return response.text("Richiesta non trovata", status=404)
    if h["assignee_id"] is None and not can_act(request.ctx.user, None):
        # an unassigned request: take it to read it (taking it is audited)
        return render("unassigned.html", user=request.ctx.user, h=h)
    h, denied = case_access(request, handoff_id)
    if denied:
        return denied
    audit_case(request, "vedi", h)
    return await view(request, h)


@login_required(csrf=True)
@on_case
async def reveal(request: Request, h: Dict):
    reason = str(request.form.get("motivo", "")).strip()[:500]
    if not reason_ok(reason):
        return await view(
            request, h, message=f"Per vedere i dati personali scrivi il motivo (almeno {MIN_REASON} caratteri)."
        )
    audit_case(request, "mostra_dati", h, reason)
    return await view(request, h, reveal=True)


@login_required(csrf=True)
async def assign(request: Request, handoff_id: int):
    """Take an unassigned request (anyone), or confirm one's own."""
    user = request.ctx.user
    h = load_handoff(request.app.ctx.url, handoff_id)
    if h is None:
        return response.text("Richiesta non trovata", status=404)
    if h["assignee_id"] not in (None, user["operator_id"]):
        return response.text(
            "Non autorizzato: la richiesta è di un'altra persona (un supervisore può subentrare indicando il motivo)",
            status=403,
        )

    def change(_session, record):
        record.assignee_id, record.status = user["operator_id"], hm.IN_PROGRESS

    update(request, handoff_id, change)
    audit_case(request, "assegna", h)
    return back(handoff_id)


@login_required(role=hm.SUPERVISOR, csrf=True)
async def take_over(request: Request, handoff_id: int):
    h = load_handoff(request.app.ctx.url, handoff_id)
    if h is None:
        return response.text("Richiesta non trovata", status=404)
    reason = str(request.form.get("motivo", "")).strip()[:500]
    if not reason_ok(reason):
        return await view(request, h, message=f"Per subentrare scrivi il motivo (almeno {MIN_REASON} caratteri).")

    def change(_session, record):
        record.assignee_id, record.status = request.ctx.user["operator_id"], hm.IN_PROGRESS

    update(request, handoff_id, change)
    audit_case(request, "subentra", h, f"da {h['assignee'] or 'nessuno'}: {reason}")
    return back(handoff_id)


@login_required(csrf=True)
@on_case
async def note(request: Request, h: Dict):
    text = str(request.form.get("testo", "")).strip()[:5000]
    if text:
        update(
            request,
            h["id"],
            lambda s_, record: s_.add(
                hm.Note(handoff_id=record.id, text=text, author_id=request.ctx.user["operator_id"])
            ),
        )
        audit_case(request, "nota", h)
    return back(h["id"])


async def through_rasa(request: Request, h: Dict, call, action: str, failed: str):
    """`call` Rasa's HTTP API for the request; then audit `action` and go back, or show `failed` and why."""
    try:
        await call(rasa_of(request))
    except Exception as err:
        return await view(request, h, message=f"{failed}: {err}")
    audit_case(request, action, h)
    return back(h["id"])


@login_required(csrf=True)
@on_case
async def reply(request: Request, h: Dict):
    text = str(request.form.get("testo", "")).strip()[:2000]
    if h["channel"] not in service.PUSH_CHANNELS:
        return await view(request, h, message="Da questo canale non si può scrivere alla persona.")
    if not text:
        return back(h["id"])
    return await through_rasa(
        request,
        h,
        lambda rasa: rasa.send(h["conversation_id"], h["channel"], text),
        "rispondi",
        "Messaggio non inviato",
    )


@login_required(csrf=True)
@on_case
async def resume(request: Request, h: Dict):
    return await through_rasa(
        request,
        h,
        lambda rasa: rasa.resume(h["conversation_id"]),
        "riprendi_bot",
        "Non riesco a riattivare l'assistente",
    )


@login_required(csrf=True)
@on_case
async def close(request: Request, h: Dict):
    def change(_session, record):
        record.status, record.closed = hm.CLOSED, hm.now()

    update(request, h["id"], change)
    audit_case(request, "chiudi", h)
    return back(h["id"])


def blueprint() -> Blueprint:
    actions = (
        ("mostra", reveal),
        ("assegna", assign),
        ("subentra", take_over),
        ("nota", note),
        ("rispondi", reply),
        ("riprendi", resume),
        ("chiudi", close),
    )
    return pages.blueprint(
        "console_handoffs",
        [
            ("GET", "/", home),
            ("GET", "/coda", queue),
            ("GET", "/richiesta/<handoff_id:int>", show),
            *[("POST", f"/richiesta/<handoff_id:int>/{action}", view_) for action, view_ in actions],
        ],
    )
