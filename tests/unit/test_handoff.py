import datetime as dt

import pytest
from sqlalchemy import create_engine, text

from assistant.handoff import models as hm, service
from assistant.handoff.redact import redact


@pytest.mark.parametrize("raw,hidden,placeholder", [
    ("chiamami al 333 1234567 dopo le 18", "333 1234567", "[telefono]"),
    ("il fisso è 011-5628314", "011-5628314", "[telefono]"),
    ("+39 347 123 4567", "347 123 4567", "[telefono]"),
    ("scrivimi a maria.rossi@example.org", "maria.rossi@example.org", "[email]"),
    ("il mio codice fiscale è RSSMRA80A41L219X", "RSSMRA80A41L219X", "[codice fiscale]"),
    ("abito in via Roma 12, Torino", "via Roma 12", "[indirizzo]"),
    ("corso Vittorio Emanuele II 45/B", "Vittorio Emanuele II 45", "[indirizzo]"),
])
def test_redaction(raw, hidden, placeholder):
    out = redact(raw)
    assert hidden not in out and placeholder in out


def test_redaction_keeps_ordinary_text_and_helplines():
    for text_ in ("ho chiamato il 1522 ieri", "è successo nel 2023", "mio figlio ha 12 anni"):
        assert redact(text_) == text_


def _tracker_db(tmp_path, events):
    url = f"sqlite:///{tmp_path}/tracker.db"
    engine = create_engine(url)
    with engine.begin() as conn:  # the columns of Rasa's SQLTrackerStore table
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255),"
                          " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"))
        for sender, days_ago in events:
            ts = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)).timestamp()
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, '{}')"),
                         {"s": sender, "t": ts})
    return url


def test_purge_deletes_exactly_what_is_older_than_n_days(tmp_path):
    tracker_url = _tracker_db(tmp_path, [("old", 45), ("old", 31), ("recent", 40), ("recent", 2), ("new", 0.1),
                                         ("edge-in", 29.9)])
    url = f"sqlite:///{tmp_path}/sv.db"
    service.ensure_schema(url)
    old_handoff = service.create("old", "rest", None, None, url=url)
    new_handoff = service.create("new", "rest", None, None, url=url)
    from assistant import db
    with db.session_scope(url) as session:
        session.get(hm.Handoff, old_handoff).created = hm.now() - dt.timedelta(days=31)
    deleted = service.purge(30, tracker_url=tracker_url, url=url)
    assert deleted == {"conversations": 1, "events": 2, "handoffs": 1}
    with create_engine(tracker_url).connect() as conn:
        left = sorted({r[0] for r in conn.execute(text("SELECT sender_id FROM events"))})
    assert left == ["edge-in", "new", "recent"]
    with db.session_scope(url) as session:
        assert session.get(hm.Handoff, new_handoff) is not None and session.get(hm.Handoff, old_handoff) is None


def test_erase_one_conversation(tmp_path):
    tracker_url = _tracker_db(tmp_path, [("a", 1), ("a", 0), ("b", 0)])
    url = f"sqlite:///{tmp_path}/sv.db"
    service.create("a", "rest", None, None, url=url)
    assert service.erase("a", tracker_url=tracker_url, url=url) == {"events": 2, "handoffs": 1}
    with create_engine(tracker_url).connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT sender_id FROM events"))] == ["b"]


def test_asking_twice_does_not_queue_twice(tmp_path):
    url = f"sqlite:///{tmp_path}/sv.db"
    assert service.create("x", "socketio", None, "in chat", url=url) == service.create("x", "socketio", "s", None, url=url)


def test_transcript_redacts_only_the_person():
    tracker = {"events": [{"event": "user", "text": "il mio numero è 333 1234567", "timestamp": 0},
                          {"event": "bot", "text": "Rete Dafne: 800 91 91 08", "timestamp": 1},
                          {"event": "slot", "name": "x"}]}
    lines = service.transcript(tracker)
    assert lines[0]["text"] == "il mio numero è [telefono]" and "800 91 91 08" in lines[1]["text"]
    assert service.transcript(tracker, reveal=True)[0]["text"].endswith("333 1234567")


def test_console_shows_times_in_the_regions_time_zone():
    from assistant.console.app import local_time
    assert local_time(dt.datetime(2026, 11, 24, 19, 5)) == "24/11/2026 20:05"  # CET, UTC+1
    assert local_time(dt.datetime(2026, 7, 1, 23, 30), "%d/%m/%Y %H:%M:%S") == "02/07/2026 01:30:00"  # CEST
