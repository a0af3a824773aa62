"""Erasure and retention against Rasa's own SQL tracker store (SQLite and PostgreSQL), read back with
every event of every session."""

import asyncio
import datetime as dt
import os
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant import db
from assistant.handoff import lifecycle, service
from assistant.handoff import models as hm
from rasa_addons import retention
from scripts.services import pg_url_with_db, redis_host_port

DAY = 24 * 3600


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tracker.db"
    postgres_url = request.getfixturevalue("postgres_url")  # only the PostgreSQL case needs the server
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS sportello_lifecycle_test WITH (FORCE)"))
            conn.execute(sa.text("CREATE DATABASE sportello_lifecycle_test"))
    finally:
        admin.dispose()
    return pg_url_with_db(postgres_url, "sportello_lifecycle_test")


def _store(url):
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    return SQLTrackerStore(Domain.empty(), dialect=dialect, host=url)


def _session(start, texts):
    """A Rasa session starting at `start` (epoch seconds): session start, then user/bot turns a minute apart."""
    events = [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 0.001),
        ActionExecuted("action_listen", timestamp=start + 0.002),
    ]
    for i, text in enumerate(texts):
        at = start + 60 * (i + 1)
        events += [
            UserUttered(text, {"name": "greet", "confidence": 1.0}, timestamp=at),
            BotUttered("risposta a " + text, timestamp=at + 1),
            ActionExecuted("action_listen", timestamp=at + 2),
        ]
    return events


def _save(store, sender, events):
    tracker = DialogueStateTracker.from_events(sender, events)
    asyncio.run(store.save(tracker))


def _all_texts(url, sender):
    """Every stored event's text for `sender`, all sessions (the raw table, as an auditor would read it)."""
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).all()
    engine.dispose()
    import json

    return [json.loads(r[1]).get("text") for r in rows if r[0] in ("user", "bot")], len(rows)


def _now():
    return dt.datetime.now(dt.timezone.utc).timestamp()


def test_an_old_session_of_an_active_conversation_goes_the_current_stays_whole(tracker_url, tmp_path):
    store = _store(tracker_url)
    sender = "tg:" + uuid.uuid4().hex[:8]
    now = _now()
    # a person who writes once a month: three sessions, the last one still running
    current = [
        ActionExecuted("action_session_start", timestamp=now - 2 * DAY),
        SessionStarted(timestamp=now - 2 * DAY + 0.001),
        UserUttered("ieri", {"name": "greet"}, timestamp=now - 2 * DAY + 60),
        UserUttered("oggi", {"name": "greet"}, timestamp=now - 60),
    ]
    _save(
        store, sender, _session(now - 70 * DAY, ["prima volta"]) + _session(now - 35 * DAY, ["seconda volta"]) + current
    )
    other = "wa:" + uuid.uuid4().hex[:8]
    _save(store, other, _session(now - 45 * DAY, ["tutto vecchio"]))
    recent = "web:" + uuid.uuid4().hex[:8]
    _save(store, recent, _session(now - 3 * DAY, ["recente"]))
    before = asyncio.run(store.retrieve(sender))

    deleted = asyncio.run(lifecycle.purge_tracker(tracker_url, 30, InMemoryLockStore()))

    texts, _ = _all_texts(tracker_url, sender)
    assert texts == ["ieri", "oggi"]  # both old sessions gone, the current one whole
    assert _all_texts(tracker_url, other) == ([], 0)  # a conversation idle for 45 days goes entirely
    assert _all_texts(tracker_url, recent)[0] == ["recente", "risposta a recente"]
    assert deleted["conversations"] == 1 and deleted["events"] > 0
    after = asyncio.run(store.retrieve(sender))  # Rasa sees the same dialogue state
    assert [e.as_dict() for e in after.events] == [e.as_dict() for e in before.events]
    # Rasa appends the next turn after the current session without duplicating it
    after.update(UserUttered("domani", {"name": "greet"}, timestamp=now))
    asyncio.run(store.save(after))
    assert _all_texts(tracker_url, sender)[0] == ["ieri", "oggi", "domani"]


def test_a_session_with_one_recent_event_is_kept_whole(tracker_url):
    store = _store(tracker_url)
    sender = "tg:" + uuid.uuid4().hex[:8]
    now = _now()
    # an older session that ran past the cut-off (its last event 10 days ago), then the current one
    events = _session(now - 40 * DAY, ["inizio"]) + [UserUttered("fine", {"name": "greet"}, timestamp=now - 10 * DAY)]
    _save(store, sender, events + _session(now - DAY, ["ora"]))
    asyncio.run(lifecycle.purge_tracker(tracker_url, 30, InMemoryLockStore()))
    assert _all_texts(tracker_url, sender)[0] == ["inizio", "risposta a inizio", "fine", "ora", "risposta a ora"]


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """The handoff database the Rasa process finds in SV_DATABASE_URL."""
    url = f"sqlite:///{tmp_path}/sportello.db"
    monkeypatch.setenv("SV_DATABASE_URL", url)
    db.engine.cache_clear()
    yield url
    db.engine.cache_clear()


def _agent(url):
    return SimpleNamespace(tracker_store=_store(url), lock_store=InMemoryLockStore())


def test_exit_erases_every_event_and_the_handoff_and_says_so(tracker_url, app_db):
    agent = _agent(tracker_url)
    sender = "web:" + uuid.uuid4().hex
    now = _now()
    _save(
        agent.tracker_store,
        sender,
        _session(now - 3 * DAY, ["il mio ex mi segue"])
        + _session(now - 60, [])
        + [UserUttered("/exit_chat", {"name": "exit_chat"}, timestamp=now)],
    )
    number = service.create(sender, "socketio", "Cosa è successo: stalking", "qui in chat", url=app_db)
    service.audit("operatrice1", "vedi", f"richiesta {number}", url=app_db, conversation_id=sender)
    bystander = "web:" + uuid.uuid4().hex
    _save(agent.tracker_store, bystander, _session(now - 60, ["altro"]))

    out = CollectingOutputChannel()
    handled = asyncio.run(lifecycle.after_turn(agent, UserMessage("/exit_chat", out, sender)))

    assert handled
    assert _all_texts(tracker_url, sender) == ([], 0)  # no event of any session remains
    assert _all_texts(tracker_url, bystander)[0] == ["altro", "risposta a altro"]
    with db.session_scope(app_db) as session:
        assert session.execute(sa.select(hm.Handoff).where(hm.Handoff.conversation_id == sender)).first() is None
        entry = session.execute(
            sa.select(hm.AuditEntry).where(hm.AuditEntry.action == "cancella_conversazione")
        ).scalar_one()
        assert sender not in (entry.target + (entry.reason or "") + entry.conversation)
        assert entry.conversation == service.conversation_ref(sender)
    reply = out.messages[-1]["text"]
    assert "Ho cancellato" in reply and f"n. {number}" in reply and "già aperta" in reply
    assert "112" in reply and "1522" in reply  # also when the bot is paused and says nothing else


def test_exit_recognised_from_the_stored_intent_of_free_text(tracker_url, app_db):
    agent = _agent(tracker_url)
    sender = "tg:" + uuid.uuid4().hex[:8]
    _save(
        agent.tracker_store,
        sender,
        _session(_now() - 60, []) + [UserUttered("cancella la conversazione", {"name": "exit_chat"}, timestamp=_now())],
    )
    out = CollectingOutputChannel()
    assert asyncio.run(lifecycle.after_turn(agent, UserMessage("cancella la conversazione", out, sender)))
    assert _all_texts(tracker_url, sender) == ([], 0)
    assert "richiesta" not in out.messages[-1]["text"] and "Ho cancellato" in out.messages[-1]["text"]
    # an ordinary turn is left alone
    _save(agent.tracker_store, sender, _session(_now(), ["ciao"]))
    assert not asyncio.run(lifecycle.after_turn(agent, UserMessage("ciao", CollectingOutputChannel(), sender)))
    assert _all_texts(tracker_url, sender)[1] > 0


def _while_a_turn_holds_the_lock(locks, sender, other, turn_work=None):
    """Run `other()` while a turn holds the conversation's lock; returns the order things happened in."""
    order = []

    async def scenario():
        async def turn():
            async with locks.lock(sender):
                order.append("turn holds the lock")
                await asyncio.sleep(0.3)
                if turn_work:
                    await turn_work()
                order.append("turn done")

        async def waiting():
            await asyncio.sleep(0.05)
            await other()
            order.append("other done")

        await asyncio.gather(turn(), waiting())

    asyncio.run(scenario())
    return order


def test_erase_waits_for_the_conversations_lock(tmp_path, app_db):
    url = f"sqlite:///{tmp_path}/tracker.db"
    agent = _agent(url)
    sender = "rest:" + uuid.uuid4().hex[:8]
    _save(agent.tracker_store, sender, _session(_now(), ["a"]))

    async def store_the_turn():
        tracker = await agent.tracker_store.retrieve(sender)
        tracker.update(UserUttered("/exit_chat", {"name": "exit_chat"}, timestamp=_now()))
        await agent.tracker_store.save(tracker)

    order = _while_a_turn_holds_the_lock(
        agent.lock_store, sender, lambda: lifecycle.erase_conversation(agent, sender), store_the_turn
    )
    assert order == ["turn holds the lock", "turn done", "other done"]
    assert _all_texts(url, sender) == ([], 0)  # the turn's own events included


def test_console_tables_are_purged_by_their_own_retention(tmp_path):
    url = f"sqlite:///{tmp_path}/sportello.db"
    service.ensure_schema(url)
    moment = hm.now()
    with db.session_scope(url) as session:
        op = hm.Operator(username="op", password_hash="x")
        session.add(op)
        session.flush()
        closed_old = hm.Handoff(
            conversation_id="a", channel="rest", status=hm.CLOSED, closed=moment - dt.timedelta(days=31)
        )
        closed_new = hm.Handoff(
            conversation_id="b", channel="rest", status=hm.CLOSED, closed=moment - dt.timedelta(days=5)
        )
        open_old = hm.Handoff(
            conversation_id="c", channel="rest", status=hm.OPEN, created=moment - dt.timedelta(days=90)
        )
        session.add_all([closed_old, closed_new, open_old])
        session.flush()
        session.add(hm.Note(handoff_id=closed_old.id, author_id=op.id, text="nota"))
        session.add_all(
            [
                hm.AuditEntry(operator="op", action="vedi", target="x", at=moment - dt.timedelta(days=400)),
                hm.AuditEntry(operator="op", action="vedi", target="y", at=moment - dt.timedelta(days=300)),
            ]
        )
        session.add_all(
            [
                hm.ConsoleSession(id="idle", operator_id=op.id, csrf="c", last_seen=moment - dt.timedelta(hours=1)),
                hm.ConsoleSession(id="long", operator_id=op.id, csrf="c", created=moment - dt.timedelta(hours=9)),
                hm.ConsoleSession(id="live", operator_id=op.id, csrf="c"),
            ]
        )
        session.add_all([hm.LoginFailure(key="ip:1", at=moment - dt.timedelta(hours=25)), hm.LoginFailure(key="ip:2")])
    deleted = lifecycle.purge_console(30, 365, url)
    assert deleted == {"handoffs": 1, "audit": 1, "console_sessions": 2, "login_failures": 1}
    with db.session_scope(url) as session:
        assert sorted(h.conversation_id for h in session.execute(sa.select(hm.Handoff)).scalars()) == ["b", "c"]
        assert session.execute(sa.select(sa.func.count(hm.Note.id))).scalar_one() == 0
        assert [s.id for s in session.execute(sa.select(hm.ConsoleSession)).scalars()] == ["live"]


def test_the_purge_command_runs_without_the_console(tmp_path):
    """`python -m rasa_addons.retention purge` on its own, as make run's process and the CronJob run it."""
    import subprocess
    import sys

    tracker_url, app_db = f"sqlite:///{tmp_path}/tracker.db", f"sqlite:///{tmp_path}/sportello.db"
    store = _store(tracker_url)
    _save(store, "old", _session(_now() - 40 * DAY, ["vecchio"]))
    _save(store, "new", _session(_now() - 60, ["nuovo"]))
    env = {**os.environ, "SV_TRACKER_URL": tracker_url, "SV_DATABASE_URL": app_db, "SV_RETENTION_DAYS": "30"}
    root = db.settings.PROJECT_ROOT  # this checkout, also when the venv is shared with another one
    done = subprocess.run(
        [sys.executable, "-m", "rasa_addons.retention", "purge"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"conversations": 1' in done.stdout
    assert _all_texts(tracker_url, "old") == ([], 0) and _all_texts(tracker_url, "new")[1] > 0
    # and an administrator's erasure of one conversation by its id
    done = subprocess.run(
        [sys.executable, "-m", "rasa_addons.retention", "erase", "new"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _all_texts(tracker_url, "new") == ([], 0)


def test_sqlite_deletes_overwrite_the_rows(tmp_path):
    url = f"sqlite:///{tmp_path}/tracker.db"
    store = _store(url)
    _save(store, "segreto", _session(_now() - 40 * DAY, ["parola-segreta-unica"]))
    store.engine.dispose()
    asyncio.run(lifecycle.purge_tracker(url, 30, InMemoryLockStore()))
    assert b"parola-segreta-unica" not in (tmp_path / "tracker.db").read_bytes()


def test_the_purge_waits_for_rasas_lock_in_redis(tmp_path, redis_url):
    """With SV_LOCK_STORE=redis the purge takes the very lock a Rasa replica holds during a turn."""
    from assistant import settings

    host, port = redis_host_port(redis_url)
    s = settings.load({"SV_LOCK_STORE": "redis", "SV_REDIS_HOST": host, "SV_REDIS_PORT": str(port), "SV_REDIS_DB": "3"})
    rasa_side, purge_side = retention.lock_store(s), retention.lock_store(s)
    url = f"sqlite:///{tmp_path}/tracker.db"
    sender = "tg:" + uuid.uuid4().hex[:8]
    _save(_store(url), sender, _session(_now() - 40 * DAY, ["vecchio"]))
    order = _while_a_turn_holds_the_lock(rasa_side, sender, lambda: lifecycle.purge_tracker(url, 30, purge_side))
    assert order == ["turn holds the lock", "turn done", "other done"]
    assert _all_texts(url, sender) == ([], 0)


def test_a_database_made_before_this_revision_is_migrated(tmp_path):
    from alembic import command

    from assistant.migrations.__main__ import config

    url = f"sqlite:///{tmp_path}/old.db"
    command.upgrade(config(url), "0001")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO operators (username, password_hash, role, created) "
                "VALUES ('veterana', 'x', 'operator', '2026-01-01')"
            )
        )
    service.ensure_schema(url)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("operators")}
    assert {"active", "totp_secret", "totp_confirmed"} <= columns
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT active FROM operators")).scalar_one() in (1, True)
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(config(url)).get_current_head()
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == head
    engine.dispose()
