"""Data that goes when it should.

- `after_turn`: called by the channel guard when a turn has been stored. If the person asked to erase
  the conversation (/esci, the widget's quick exit, "cancella la conversazione": intent exit_chat),
  every stored event of the conversation and its handoff records are deleted, holding the
  conversation's lock, and the person is told what was erased.
- `purge`: the retention job (`python -m rasa_addons.retention purge`, which passes Rasa's lock store). In the tracker store, every Rasa
  session whose last event is older than the retention period is deleted whole; the current session
  always stays whole (Rasa counts the stored events of the current session to know what to append, so
  only earlier sessions may go while the person is talking), and a conversation whose last event is
  older than the period goes entirely. Each conversation is purged holding its lock (the Redis lock
  store when SV_LOCK_STORE=redis: the one Rasa uses). Handoffs and notes go the same period after
  closing, audit entries after SV_AUDIT_RETENTION_DAYS, console sessions at expiry, login failures
  after 24 hours. SQLite deletes with secure_delete on, so deleted rows do not stay in free pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Dict, Optional

from sqlalchemy import create_engine, delete, or_, select, text
from sqlalchemy.engine import Engine

from assistant import db, intents, settings
from assistant.events import intent_name, last_user
from assistant.handoff import content, service
from assistant.handoff import models as hm

logger = logging.getLogger(__name__)
EXIT_INTENT = intents.EXIT_CHAT
SESSION_IDLE, SESSION_MAX = dt.timedelta(minutes=30), dt.timedelta(hours=8)  # console sessions
FAILURE_RETENTION = dt.timedelta(hours=24)
LOCK_LIFETIME = 60  # seconds; Rasa's default is 60 too


# -- Erasure on request ---------------------------------------------------------------------------
def _inner(store: Any) -> Any:
    """Rasa wraps stores created from endpoints.yml in an AwaitableTrackerStore."""
    return getattr(store, "_tracker_store", store)


def _last_user_intent(store: Any, sender_id: str) -> Optional[str]:
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT intent_name FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id DESC LIMIT 1"),
            {"s": sender_id},
        ).first()
    return row[0] if row else None


async def asked_to_erase(store: Any, message: Any) -> bool:
    store = _inner(store)
    if (message.text or "").strip().startswith("/" + EXIT_INTENT):
        return True
    if hasattr(store, "engine") and hasattr(store, "SQLEvent"):  # Rasa's SQL tracker store: one small query
        return (
            await asyncio.get_running_loop().run_in_executor(None, _last_user_intent, store, message.sender_id)
            == EXIT_INTENT
        )
    tracker = await store.retrieve(message.sender_id)
    last = last_user(tracker.events if tracker else [])
    return last is not None and intent_name(last) == EXIT_INTENT


def erase_events(engine: Engine, sender_id: str) -> int:
    with engine.begin() as conn:
        service.secure_delete(conn)
        return conn.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender_id}).rowcount


def erase_stored(store: Any, sender_id: str, url: Optional[str] = None) -> Dict:
    """Every stored event of the conversation and its handoff records (call holding the lock)."""
    events = erase_events(_inner(store).engine, sender_id)
    result = {"events": events, **service.erase_handoffs(sender_id, url=url)}
    service.audit(
        "persona",
        "cancella_conversazione",
        "conversazione",
        url=url,
        conversation_id=sender_id,
        reason=f"{events} eventi, richieste {result['handoffs'] or 'nessuna'}",
    )
    return result


async def erase_conversation(agent: Any, sender_id: str, url: Optional[str] = None) -> Dict:
    async with agent.lock_store.lock(sender_id, lock_lifetime=LOCK_LIFETIME):
        return await asyncio.get_running_loop().run_in_executor(None, erase_stored, agent.tracker_store, sender_id, url)


async def after_turn(agent: Any, message: Any) -> bool:
    """The channel guard's hook, run after Rasa has stored the turn and released the lock: True when
    the person asked to erase the conversation (it is erased and the person told)."""
    try:
        if agent is None or not await asked_to_erase(agent.tracker_store, message):
            return False
    except Exception:  # the store is down: the guard's apology follows
        logger.exception("could not read the last intent")
        return False
    try:
        result = await erase_conversation(agent, message.sender_id)
        reply = content.erased(result["handoffs"], result["seen"])
    except Exception:  # the person must not be told it is gone when it is not
        logger.exception("could not erase a conversation")
        reply = content.erase_failed()
    await message.output_channel.send_text_message(message.sender_id, reply)
    return True


# -- Retention ------------------------------------------------------------------------------------
def _purge_sender(engine: Engine, sender_id: str, cutoff: float) -> int:
    """Delete the sender's sessions whose last event is older than `cutoff`; returns events deleted."""
    with engine.begin() as conn:
        service.secure_delete(conn)
        rows = conn.execute(
            text("SELECT timestamp, type_name, action_name FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender_id},
        ).all()
        if not rows:
            return 0
        stamps = [r[0] or 0.0 for r in rows]
        if max(stamps) < cutoff:  # the whole conversation is old
            return conn.execute(
                text(
                    "DELETE FROM events WHERE sender_id = :s AND "
                    "(SELECT MAX(timestamp) FROM events WHERE sender_id = :s) < :c"
                ),
                {"s": sender_id, "c": cutoff},
            ).rowcount
        # Sessions as Rasa delimits them (a session_started event, with the action_session_start just
        # before it); every session but the current one goes when its last event is older than the cut-off.
        starts = [
            stamps[i - 1] if i and rows[i - 1][2] == "action_session_start" else stamps[i]
            for i, r in enumerate(rows)
            if r[1] == "session_started"
        ]
        edges = [float("-inf")] + starts
        delete_before = None
        for low, high in zip(edges, edges[1:]):  # oldest first
            inside = [t for t in stamps if low <= t < high]
            if inside and max(inside) >= cutoff:
                break
            delete_before = high
        if delete_before is None:
            return 0
        return conn.execute(
            text("DELETE FROM events WHERE sender_id = :s AND timestamp < :b"), {"s": sender_id, "b": delete_before}
        ).rowcount


async def purge_tracker(tracker_url: str, days: int, locks: Any) -> Dict[str, int]:
    cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).timestamp()
    engine = create_engine(tracker_url, future=True)
    deleted = {"conversations": 0, "events": 0}
    try:
        with engine.connect() as conn:
            if not engine.dialect.has_table(conn, "events"):
                return deleted
            senders = [
                r[0]
                for r in conn.execute(text("SELECT DISTINCT sender_id FROM events WHERE timestamp < :c"), {"c": cutoff})
            ]
        loop = asyncio.get_running_loop()
        for sender in senders:
            async with locks.lock(sender, lock_lifetime=LOCK_LIFETIME, wait_time_in_seconds=0.2):
                events = await loop.run_in_executor(None, _purge_sender, engine, sender, cutoff)
            deleted["events"] += events
            with engine.connect() as conn:
                gone = conn.execute(text("SELECT 1 FROM events WHERE sender_id = :s LIMIT 1"), {"s": sender}).first()
            deleted["conversations"] += int(events > 0 and gone is None)
    finally:
        engine.dispose()
    return deleted


def purge_console(days: int, audit_days: int, url: Optional[str] = None) -> Dict[str, int]:
    """Handoffs and notes `days` after closing, audit entries after `audit_days`, expired console
    sessions, login failures after 24 hours."""
    service.ensure_schema(url)
    moment = hm.now()
    deleted = {}
    with db.session_scope(url) as session:
        service.secure_delete(session.connection())
        old = (
            session.execute(
                select(hm.Handoff).where(
                    hm.Handoff.status == hm.CLOSED,
                    hm.Handoff.closed.isnot(None),
                    hm.Handoff.closed < moment - dt.timedelta(days=days),
                )
            )
            .scalars()
            .all()
        )
        for record in old:
            session.delete(record)  # notes go with it (cascade)
        deleted["handoffs"] = len(old)
        deleted["audit"] = session.execute(
            delete(hm.AuditEntry).where(hm.AuditEntry.at < moment - dt.timedelta(days=audit_days))
        ).rowcount
        deleted["console_sessions"] = session.execute(
            delete(hm.ConsoleSession).where(
                or_(
                    hm.ConsoleSession.last_seen < moment - SESSION_IDLE,
                    hm.ConsoleSession.created < moment - SESSION_MAX,
                )
            )
        ).rowcount
        deleted["login_failures"] = session.execute(
            delete(hm.LoginFailure).where(hm.LoginFailure.at < moment - FAILURE_RETENTION)
        ).rowcount
    return deleted


def purge(
    locks: Any, days: Optional[int] = None, tracker_url: Optional[str] = None, url: Optional[str] = None
) -> Dict[str, int]:
    """`locks`: Rasa's lock store (rasa_addons.retention.lock_store), so a turn and the purge never overlap."""
    s = settings.load()
    days = s.retention_days if days is None else days
    result = asyncio.run(purge_tracker(tracker_url or s.tracker_url, days, locks))
    result.update(purge_console(days, s.audit_retention_days, url))
    return result
