"""Handoff records, transcripts and retention: the functions the actions, the console and the CLI call."""
from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from typing import Dict, List, Optional

from sqlalchemy import create_engine, select, text

from assistant import db, settings
from assistant.directory.models import Base
from assistant.handoff import models as hm
from assistant.handoff.redact import redact

# Channels whose output can reach the person later (REST answers only the request it gets).
PUSH_CHANNELS = {"socketio", "telegram", "twilio"}


def ensure_schema(url: Optional[str] = None) -> None:
    Base.metadata.create_all(db.engine(url))


def create(conversation_id: str, channel: str, summary: Optional[str], contact: Optional[str],
           url: Optional[str] = None) -> int:
    ensure_schema(url)
    with db.session_scope(url) as session:
        open_one = session.execute(select(hm.Handoff).where(hm.Handoff.conversation_id == conversation_id,
                                                            hm.Handoff.status != hm.CLOSED)).scalars().first()
        if open_one:  # asking twice does not queue the person twice
            open_one.summary, open_one.contact = summary or open_one.summary, contact or open_one.contact
            return open_one.id
        record = hm.Handoff(conversation_id=conversation_id, channel=channel or "rest", summary=summary,
                            contact=contact, status=hm.OPEN)
        session.add(record)
        session.flush()
        return record.id


def summary_of(slots: Dict) -> str:
    """A short triage summary from the slots (shared only with the person's consent)."""
    labels = [("cosa_successo", "Cosa è successo"), ("chi_vittima", "Chi è la vittima"), ("comune", "Comune"),
              ("pericolo", "In pericolo")]
    parts = [f"{label}: {str(slots.get(key)).replace('_', ' ')}" for key, label in labels if slots.get(key)]
    return "; ".join(parts) or "Nessuna informazione raccolta dal triage."


# -- Rasa HTTP API (transcript, resume, messages to the person) --------------------------------
def _path_id(conversation_id: str) -> str:
    # Sanic does not decode path parameters: the channel prefix (web:, tg:, wa:) must stay as it is.
    return urllib.parse.quote(conversation_id, safe=":+")


class RasaApi:
    def __init__(self, base_url: str, token: str):
        self.base_url, self.token = base_url.rstrip("/"), token

    def _call(self, method: str, path: str, body=None, query: Optional[Dict] = None):
        params = {"token": self.token, **(query or {})}
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def tracker(self, conversation_id: str) -> Dict:
        return self._call("GET", f"/conversations/{_path_id(conversation_id)}/tracker",
                          query={"include_events": "ALL"})

    def append_events(self, conversation_id: str, events: List[Dict]) -> None:
        self._call("POST", f"/conversations/{_path_id(conversation_id)}/tracker/events", events)

    def resume(self, conversation_id: str) -> None:
        # `resume` alone leaves the bot waiting on the wrong step; `action_listen` makes it answer again.
        self.append_events(conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])

    def send(self, conversation_id: str, channel: str, message: str) -> None:
        """An operator's message, sent through the person's channel and kept in the transcript."""
        cid = _path_id(conversation_id)
        self.append_events(conversation_id, [{"event": "slot", "name": "operator_message", "value": message}])
        self._call("POST", f"/conversations/{cid}/execute", {"name": "action_operator_message"},
                   query={"output_channel": channel})


def transcript(tracker: Dict, reveal: bool = False) -> List[Dict]:
    """User and bot messages with times; the person's messages redacted unless `reveal`."""
    out = []
    for event in tracker.get("events", []):
        kind = event.get("event")
        if kind not in ("user", "bot") or not event.get("text"):
            continue
        text_ = event["text"]
        if kind == "user" and text_.startswith("/"):
            text_ = "[pulsante] " + text_
        if kind == "user" and not reveal:
            text_ = redact(text_)
        out.append({"who": "persona" if kind == "user" else "assistente",
                    "at": dt.datetime.fromtimestamp(event.get("timestamp", 0), dt.timezone.utc)
                    .strftime("%d/%m/%Y %H:%M"), "text": text_})
    return out


def audit(operator: str, action: str, target: str, reason: Optional[str] = None, url: Optional[str] = None) -> None:
    with db.session_scope(url) as session:
        session.add(hm.AuditEntry(operator=operator, action=action, target=target, reason=reason))


# -- Retention -------------------------------------------------------------------------------
def purge(days: int, tracker_url: Optional[str] = None, url: Optional[str] = None) -> Dict[str, int]:
    """Delete conversations whose last event is older than `days` from the tracker store, and
    handoffs (with notes) created before then. Returns what was deleted."""
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    tracker_url = tracker_url or settings.load().tracker_url
    deleted = {"conversations": 0, "events": 0, "handoffs": 0}
    engine = create_engine(tracker_url, future=True)
    with engine.begin() as conn:
        if engine.dialect.has_table(conn, "events"):
            old = [row[0] for row in conn.execute(text(
                "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"),
                {"cutoff": cutoff.timestamp()})]
            for sender in old:
                deleted["events"] += conn.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender}).rowcount
            deleted["conversations"] = len(old)
    engine.dispose()
    ensure_schema(url)
    with db.session_scope(url) as session:
        for record in session.execute(select(hm.Handoff).where(
                hm.Handoff.created < cutoff.replace(tzinfo=None))).scalars().all():
            session.delete(record)
            deleted["handoffs"] += 1
    return deleted


def erase(conversation_id: str, tracker_url: Optional[str] = None, url: Optional[str] = None) -> Dict[str, int]:
    """Erase one conversation on request: its events and its handoffs."""
    tracker_url = tracker_url or settings.load().tracker_url
    engine = create_engine(tracker_url, future=True)
    with engine.begin() as conn:
        events = conn.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": conversation_id}).rowcount \
            if engine.dialect.has_table(conn, "events") else 0
    engine.dispose()
    ensure_schema(url)
    with db.session_scope(url) as session:
        records = session.execute(select(hm.Handoff).where(hm.Handoff.conversation_id == conversation_id)).scalars().all()
        for record in records:
            session.delete(record)
    return {"events": events, "handoffs": len(records)}
