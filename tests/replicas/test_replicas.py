"""The production set-up on real services: 2 Rasa replicas and one action server on the local
PostgreSQL (tracker store and our tables, migrated with Alembic) and Redis (lock store), behind
Debian's nginx with the internal configuration of `deploy/nginx.conf.template` (scripts/lb.py).

- 64 concurrent conversations x 20 turns over REST through nginx; one replica is killed (SIGKILL)
  mid-run. Every conversation goes on on the other replica, and the tracker store holds every user
  and bot event once, in order, per conversation; the only turn a conversation may lose is the one
  that was in flight on the killed replica.
- The database briefly down (the connection to PostgreSQL cut, then restored): a clear error reply
  with 112/1522, then normal answers again and the conversation state kept.

PostgreSQL and Redis: the session's (tests/conftest.py: SV_TEST_PG_URL / SV_TEST_REDIS_URL, the local
servers, or throwaway ones started for the run); never skipped.
"""

import asyncio
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import pytest
import redis
import sqlalchemy as sa

from assistant import serve
from scripts import lb
from scripts.services import pg_url_with_db, redis_host_port, redis_url_with_db
from tests.conftest import ROOT
from tests.fakes import TcpProxy

PG_DB = "sportello_replicas_test"
REDIS_DB = 7  # a database of its own on the session's Redis: flushed at the start
CONVERSATIONS, TURNS = 64, 20
KILL_AFTER = 0.35  # share of all turns answered before one replica is killed
COMUNI = [
    "Torino",
    "Pinerolo",
    "Alba",
    "Biella",
    "Novara",
    "Cuneo",
    "Asti",
    "Vercelli",
    "Ivrea",
    "Bra",
    "Casale Monferrato",
    "Domodossola",
    "Chieri",
    "Moncalieri",
    "Alessandria",
    "Savigliano",
]


def script(i: int):
    """20 realistic Italian turns: knowledge questions, a triage through to the services, more questions."""
    return [
        "ciao",
        "cos'è l'ammonimento?",
        "come si fa una querela?",
        "quanto tempo ho per fare querela?",
        "posso avere un avvocato gratis?",
        "grazie",
        "il mio ex mi perseguita",
        "no",
        COMUNI[i % len(COMUNI)],
        "che diritti ha la persona offesa?",
        "cos'è l'ordine di protezione?",
        "e il risarcimento?",
        "sono straniera, posso avere un permesso di soggiorno?",
        "cos'è il codice rosso?",
        "ok",
        "cerco un centro antiviolenza",
        "no",
        "mi picchia",
        COMUNI[(i + 3) % len(COMUNI)],
        "grazie, ciao",
    ]


class Cluster:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="sv-replicas-"))
        self.token = uuid.uuid4().hex

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in sorted(self.tmp.rglob("*.log"))
        )


def _fresh_database(server_url: str) -> str:
    engine = sa.create_engine(pg_url_with_db(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    engine.dispose()
    return pg_url_with_db(server_url, PG_DB)


@pytest.fixture(scope="module")
def cluster(postgres_url, redis_url):
    c = Cluster()
    c.direct_url = _fresh_database(postgres_url)
    redis.Redis.from_url(redis_url_with_db(redis_url, REDIS_DB)).flushdb()
    server = sa.engine.make_url(postgres_url)
    c.proxy = TcpProxy(server.host, server.port or 5432)  # every process reaches PostgreSQL through it (cut in a test)
    proxied = server.set(host="127.0.0.1", port=c.proxy.port, database=PG_DB).render_as_string(hide_password=False)
    redis_host, redis_port = redis_host_port(redis_url)
    c.env = {
        "SV_TRACKER_URL": proxied,
        "SV_DATABASE_URL": proxied,
        "SV_LOCK_STORE": "redis",
        "SV_REDIS_HOST": redis_host,
        "SV_REDIS_PORT": str(redis_port),
        "SV_REDIS_DB": str(REDIS_DB),
        "SV_ACTIONS_PORT": str(serve.free_port()),
    }
    # the deploy's migrate step: Alembic, then the seed directory
    env = serve.child_env({**c.env, "SV_DATABASE_URL": c.direct_url})
    for cmd in (["-m", "assistant.migrations", "upgrade"], ["-m", "assistant.directory", "load", "--if-changed"]):
        done = subprocess.run([str(serve.BIN / "python"), *cmd], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
    c.procs, c.ports, c.lb_port = lb.start_replicas(c.env, c.tmp, c.token, replicas=2)
    c.base = f"http://127.0.0.1:{c.lb_port}"
    ok = lb.wait_ready(c.procs, c.ports, c.env["SV_ACTIONS_PORT"], c.lb_port)
    if not ok:
        serve.stop(c.procs)
        c.proxy.stop()
        pytest.fail("the replicas did not start:\n" + c.log_tail())
    yield c
    serve.stop(c.procs)
    c.proxy.stop()


def _events(url: str, senders):
    """Stored events per conversation, in insertion order: [(type, text, timestamp)]."""
    engine = sa.create_engine(url)
    out = {s: [] for s in senders}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT sender_id, type_name, data, timestamp FROM events "
                "WHERE type_name IN ('user', 'bot') ORDER BY id"
            )
        )
        for conversation, kind, data, stamp in rows:
            sender = conversation[len("rest:") :]  # a REST sender is stored as rest:<sender>
            if conversation.startswith("rest:") and sender in out:
                out[sender].append((kind, json.loads(data).get("text"), stamp))
    engine.dispose()
    return out


async def _conversation(session, base, sender, turns, records, progress, timeout):
    for n, text in enumerate(turns):
        started = time.monotonic()
        try:
            async with session.post(
                f"{base}/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                status, body = resp.status, await resp.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as err:
            status, body = 0, repr(err)
        records.append(
            {
                "sender": sender,
                "turn": n,
                "text": text,
                "status": status,
                "body": body,
                "start": started,
                "end": time.monotonic(),
            }
        )
        progress["done"] += 1


async def _drive(cluster, senders, kill):
    records, progress = [], {"done": 0}
    total = len(senders) * TURNS
    killed = {}

    async def killer():
        while progress["done"] < total * KILL_AFTER:
            await asyncio.sleep(0.05)
        killed["start"] = time.monotonic()
        os.killpg(kill.pid, signal.SIGKILL)
        kill.wait()
        killed["end"] = time.monotonic()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=len(senders) + 8)) as session:
        await asyncio.gather(
            killer(),
            *(
                _conversation(session, cluster.base, s, script(i), records, progress, 240)
                for i, s in enumerate(senders)
            ),
        )
    return records, killed


def test_64_conversations_on_2_replicas_one_killed_mid_run(cluster):
    senders = [f"replica-{i:02d}-{uuid.uuid4().hex[:8]}" for i in range(CONVERSATIONS)]
    victim = cluster.procs["rasa0"]
    started = time.monotonic()
    records, killed = asyncio.run(_drive(cluster, senders, victim))
    elapsed = time.monotonic() - started
    by_sender = {s: sorted((r for r in records if r["sender"] == s), key=lambda r: r["turn"]) for s in senders}
    (cluster.tmp / "records.json").write_text(json.dumps(records, ensure_ascii=False, indent=1))
    failed = [r for r in records if r["status"] != 200]
    print(
        f"\n{len(records)} turns in {elapsed:.0f} s; replica killed after "
        f"{killed['start'] - started:.0f} s; {len(failed)} turns failed (in flight on the killed replica)"
    )

    # every turn has an answer, except at most one per conversation: the one in flight at the kill
    for r in failed:
        assert r["start"] <= killed["end"] and r["end"] >= killed["start"], r
    for s, rs in by_sender.items():
        assert len(rs) == TURNS
        assert sum(r["status"] != 200 for r in rs) <= 1, [(r["turn"], r["status"]) for r in rs]
        for r in rs:
            if r["status"] == 200:
                assert json.loads(r["body"]), f"silence on {s} turn {r['turn']}"

    # both replicas served before the kill; afterwards only the survivor did
    dead, alive = (f"127.0.0.1:{p}" for p in cluster.ports)
    wall = time.time() - time.monotonic()  # monotonic -> epoch seconds of nginx's $msec
    before, after = set(), set()
    for line in (cluster.tmp / "nginx-access.log").read_text().splitlines():
        parts = line.split()
        stamp, method, uri = parts[:3]
        upstream = " ".join(parts[4:-1])  # "a:1, b:2" when nginx passed the request on
        if method != "POST" or uri != "/webhooks/rest/webhook":
            continue
        t = float(stamp) - wall
        if t < killed["start"]:
            before.add(upstream)
        elif t > killed["end"] + 1:
            after.add(upstream.split(",")[-1].strip())
    assert {dead, alive} <= before, before
    assert after == {alive}, after

    # the tracker store: each conversation's user and bot events, once and in order
    stored = _events(cluster.direct_url, senders)
    for s, rs in by_sender.items():
        events = stored[s]
        assert [e[2] for e in events] == sorted(e[2] for e in events), f"{s}: insertion order != time order"
        turns = _turns(events)
        pos = 0
        for r in rs:
            if r["status"] == 200:
                # the REST channel splits a text at blank lines: compare the joined texts
                answered = "\n\n".join(m.get("text", "") for m in json.loads(r["body"]))
                have = turns[pos] if pos < len(turns) else None
                assert have == (r["text"], answered), (
                    f"{s} turn {r['turn']}: stored {have!r}, sent/answered {(r['text'], answered)!r} ({cluster.tmp})"
                )
                pos += 1
            elif pos < len(turns) and turns[pos][0] == r["text"] and turns[pos][1]:
                pos += 1  # the in-flight turn, stored by the killed replica before it died: once, with its answer
        assert pos == len(turns), f"{s}: turns stored that nobody sent: {turns[pos:]}"


def _turns(events):
    """[(user text, bot texts joined by a blank line)] from a conversation's user and bot events."""
    turns = []
    for kind, text, _ in events:
        if kind == "user":
            turns.append([text, []])
        else:
            assert turns, "a bot event before any user event"
            turns[-1][1].append((text or "").strip())
    return [(user, "\n\n".join(bots)) for user, bots in turns]


def _say(base, sender, text):
    import urllib.request

    req = urllib.request.Request(
        f"{base}/webhooks/rest/webhook",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"sender": sender, "message": text}).encode(),
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200
        return "\n".join(m.get("text", "") for m in json.loads(resp.read()))


def test_database_briefly_down_gives_a_clear_reply_then_recovers(cluster):
    sender = "dbdown-" + uuid.uuid4().hex[:8]
    first = _say(cluster.base, sender, "il mio ex mi perseguita")
    assert "sei in pericolo in questo momento?" in first
    cluster.proxy.cut()
    try:
        reply = _say(cluster.base, sender, "no")
        assert "problema tecnico" in reply and "112" in reply and "1522" in reply, reply
    finally:
        cluster.proxy.restore()
    # recovery: the next messages are answered normally and the conversation state was kept
    deadline, attempts = time.monotonic() + 30, 1
    while True:
        reply = _say(cluster.base, sender, "no")
        if "problema tecnico" not in reply or time.monotonic() > deadline:
            break
        attempts += 1
        time.sleep(1)
    print(f"\nanswered normally again at attempt {attempts} after the database came back")
    assert "problema tecnico" not in reply, reply
    assert "In quale comune" in reply, reply  # the triage went on from where it was
    stored = _events(cluster.direct_url, [sender])[sender]
    assert ("user", "il mio ex mi perseguita") in [(k, t) for k, t, _ in stored]
