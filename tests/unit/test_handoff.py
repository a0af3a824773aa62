import datetime as dt

from assistant.handoff import service


def test_asking_twice_does_not_queue_twice(tmp_path):
    url = f"sqlite:///{tmp_path}/sv.db"
    assert service.create("x", "socketio", None, "in chat", url=url) == service.create(
        "x", "socketio", "s", None, url=url
    )


def test_transcript_redacts_the_person_and_the_bot_quoting_her():
    tracker = {
        "events": [
            {"event": "user", "text": "il mio numero è 333 1234567", "timestamp": 0},
            {"event": "bot", "text": "Hai scritto: abito in via Roma 12. Rete Dafne: 800 91 91 08", "timestamp": 1},
            {"event": "slot", "name": "x"},
        ]
    }
    lines = service.transcript(tracker)
    assert lines[0]["text"] == "il mio numero è [telefono]"
    assert "via Roma" not in lines[1]["text"] and "[indirizzo]" in lines[1]["text"]
    assert "800 91 91 08" in lines[1]["text"]  # a toll-free service number is not personal data
    revealed = service.transcript(tracker, reveal=True)
    assert revealed[0]["text"].endswith("333 1234567") and "via Roma 12" in revealed[1]["text"]


def test_console_shows_times_in_the_regions_time_zone():
    local_time = service.local_time
    assert local_time(dt.datetime(2026, 11, 24, 19, 5)) == "24/11/2026 20:05"  # CET, UTC+1
    assert local_time(dt.datetime(2026, 7, 1, 23, 30), "%d/%m/%Y %H:%M:%S") == "02/07/2026 01:30:00"  # CEST


def test_transcript_and_queue_show_the_same_local_time():
    moment = dt.datetime(2026, 11, 24, 14, 3, 0)  # stored naive UTC, as the handoff tables keep it
    epoch = moment.replace(tzinfo=dt.timezone.utc).timestamp()  # as Rasa keeps an event's time
    line = service.transcript({"events": [{"event": "user", "text": "aiuto", "timestamp": epoch}]})[0]
    assert line["at"] == service.local_time(moment) == "24/11/2026 15:03"


def test_audit_names_conversations_by_a_keyed_hash(monkeypatch):
    monkeypatch.setenv("SV_AUDIT_KEY", "chiave-uno")
    first = service.conversation_ref("wa:+393331234567")
    assert "393331234567" not in first and first == service.conversation_ref("wa:+393331234567")
    monkeypatch.setenv("SV_AUDIT_KEY", "chiave-due")  # without the key the hash cannot be recomputed
    assert service.conversation_ref("wa:+393331234567") != first
