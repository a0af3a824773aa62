"""Handoff records, transcripts and retention: the functions the actions, the console and the CLI call."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Dict, List, Optional

from sqlalchemy import select

from assistant import db, settings
from assistant.handoff import models as hm
from assistant.handoff.redact import redact
from assistant.migrations import ensure_schema
from assistant.settings import VAR_DIR

# Channels whose output can reach the person later (REST answers only the request it gets).
PUSH_CHANNELS = {"socketio", "telegram", "twilio"}


def create(
    conversation_id: str, channel: str, summary: Optional[str], contact: Optional[str], url: Optional[str] = None
) -> int:
    ensure_schema(url)
    with db.session_scope(url) as session:
        open_one = (
            session.execute(
                select(hm.Handoff).where(hm.Handoff.conversation_id == conversation_id, hm.Handoff.status != hm.CLOSED)
            )
            .scalars()
            .first()
        )
        if open_one:  # asking twice does not queue the person twice
            open_one.summary, open_one.contact = summary or open_one.summary, contact or open_one.contact
            return open_one.id
        record = hm.Handoff(
            conversation_id=conversation_id, channel=channel or "rest", summary=summary, contact=contact, status=hm.OPEN
        )
        session.add(record)
        session.flush()
        return record.id


def summary_of(slots: Dict) -> str:
    """A short triage summary from the slots (shared only with the person's consent)."""
    labels = [
        ("cosa_successo", "Cosa è successo"),
        ("chi_vittima", "Chi è la vittima"),
        ("comune", "Comune"),
        ("pericolo", "In pericolo"),
    ]
    parts = [f"{label}: {str(slots.get(key)).replace('_', ' ')}" for key, label in labels if slots.get(key)]
    return "; ".join(parts) or "Nessuna informazione raccolta dal triage."


# The Rasa HTTP API client (transcript, resume, messages to the person): assistant.handoff.rasa_client


# Times are stored in UTC and shown to operators in the region's time zone, by this one function.
CONSOLE_TIMEZONE = "Europe/Rome"


def local_time(value, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored time (naive UTC datetime, or a Rasa event's epoch seconds) as operators read it,
    e.g. '24/11/2026 20:05'."""
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(tzinfo=None)
    try:
        from zoneinfo import ZoneInfo

        return value.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(CONSOLE_TIMEZONE)).strftime(fmt)
    except Exception:  # no time-zone data on the system: say which time it is
        return value.strftime(fmt) + " UTC"


def transcript(tracker: Dict, reveal: bool = False) -> List[Dict]:
    """User and bot messages with local times; both redacted unless `reveal` (the bot quotes the person)."""
    out = []
    for event in tracker.get("events", []):
        kind = event.get("event")
        if kind not in ("user", "bot") or not event.get("text"):
            continue
        text_ = event["text"] if reveal else redact(event["text"])
        if kind == "user" and text_.startswith("/"):
            text_ = "[pulsante] " + text_
        out.append(
            {
                "who": "persona" if kind == "user" else "assistente",
                "at": local_time(event.get("timestamp", 0)),
                "text": text_,
            }
        )
    return out


def _audit_key() -> bytes:
    """SV_AUDIT_KEY, or a random key kept in var/ (one machine) created on first use."""
    configured = settings.load().audit_key
    if configured:
        return configured.encode()
    path = VAR_DIR / "audit.key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        try:
            with open(path, "x", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text(encoding="ascii").strip().encode()


def conversation_ref(conversation_id: str) -> str:
    """The name of a conversation in the audit log: a keyed hash (HMAC-SHA256), never the raw id."""
    return "conv:" + hmac.new(_audit_key(), conversation_id.encode(), hashlib.sha256).hexdigest()[:24]


def audit(
    operator: str,
    action: str,
    target: str,
    reason: Optional[str] = None,
    url: Optional[str] = None,
    conversation_id: Optional[str] = None,
) -> None:
    with db.session_scope(url) as session:
        session.add(
            hm.AuditEntry(
                operator=operator,
                action=action,
                target=target,
                reason=reason,
                conversation=conversation_ref(conversation_id) if conversation_id else None,
            )
        )


def secure_delete(conn) -> None:
    """Deleted rows are overwritten in SQLite files, not left in free pages (a per-connection setting)."""
    if conn.engine.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete=ON")


# -- Erasure of one conversation's handoff records (events: assistant.handoff.lifecycle) -----------
def erase_handoffs(conversation_id: str, url: Optional[str] = None) -> Dict:
    """Delete the conversation's handoff records and their notes; say whether an operator had opened one."""
    ensure_schema(url)
    ref = conversation_ref(conversation_id)
    with db.session_scope(url) as session:
        secure_delete(session.connection())
        records = (
            session.execute(select(hm.Handoff).where(hm.Handoff.conversation_id == conversation_id)).scalars().all()
        )
        ids = [r.id for r in records]
        seen = (
            any(r.assignee_id is not None or r.notes for r in records)
            or session.execute(
                select(hm.AuditEntry.id)
                .where(hm.AuditEntry.conversation == ref, hm.AuditEntry.action.in_(SEEN_ACTIONS))
                .limit(1)
            ).first()
            is not None
        )
        for record in records:
            session.delete(record)
    return {"handoffs": ids, "seen": bool(ids) and seen}


SEEN_ACTIONS = ("vedi", "mostra_dati", "assegna", "subentra", "rispondi", "nota")
