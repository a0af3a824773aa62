"""First conversation, safety and bad requests, over the REST channel of the real server."""

import time

import pytest


def test_greeting_says_what_the_assistant_does_and_does_not(bot, sender):
    reply = bot.texts(sender, "ciao")
    assert "Sportello Vittime" in reply
    assert "Non sono un servizio di emergenza" in reply
    assert "112" in reply and "1522" in reply
    assert "Trovare un servizio vicino a me" in reply  # a button


def test_thanks_and_goodbye(bot, sender):
    assert "Di niente" in bot.texts(sender, "grazie mille")
    reply = bot.texts(sender, "arrivederci")
    assert "Torna quando vuoi" in reply and "112" in reply


def test_out_of_scope(bot, sender):
    assert "non posso aiutarti" in bot.texts(sender, "mi consigli una buona pizzeria a Torino?")


def test_fallback_offers_the_main_topics(bot, sender):
    reply = bot.texts(sender, "qwerty zxcvb plmokn")
    assert "non sono sicuro di aver capito" in reply.lower() or "non posso aiutarti" in reply
    assert "Denuncia o querela" in reply


@pytest.mark.parametrize(
    "text",
    [
        "è qui fuori con un coltello",
        "aiuto mi vuole uccidere",
        "mi sta picchiando adesso",
        "sta sfondando la porta, ho paura",
    ],
)
def test_danger_on_the_first_turn_gets_112(bot, sender, text):
    reply = bot.texts(sender, text)
    assert "112" in reply and "1522" in reply


def test_danger_after_other_turns_gets_112(bot, sender):
    bot.texts(sender, "ciao")
    bot.texts(sender, "cos'è l'ammonimento?")
    assert "chiama subito il 112" in bot.texts(sender, "lui è qui fuori con un coltello")


def test_another_language_gets_a_clear_answer(bot, sender):
    reply = bot.texts(sender, "hello, can you help me? my husband hits me")
    assert "112" in reply and ("Sorry" in reply or "italiano" in reply)


def test_html_and_sql_are_just_text(bot, sender):
    for text in ["<script>alert('x')</script>", "'; DROP TABLE events; --"]:
        reply = bot.say(sender, text)
        assert reply and all("<script>" not in m.get("text", "") for m in reply)


def test_empty_message_gets_a_kind_answer(bot, sender):
    for text in ["", "   ", "\u200b\u200b"]:
        reply = bot.texts(sender, text)
        assert "Non ho ricevuto nessun testo" in reply


def test_huge_message_gets_the_length_reply_quickly(bot, sender):
    started = time.monotonic()
    reply = bot.texts(sender, "aiuto " * 20000)  # ~120 KB
    assert time.monotonic() - started < 10
    assert "molto lungo" in reply and "112" in reply


@pytest.mark.parametrize(
    "body,ctype",
    [
        (b"not json at all", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"message": "ciao"}', "application/json"),
        (b'{"sender": "x", "message": 42}', "application/json"),
        (b'{"sender": {"a": 1}, "message": "ciao"}', "application/json"),
        (b"\xff\xfe\x00binary", "application/octet-stream"),
        (b"", "application/json"),
    ],
)
def test_bad_requests_get_a_4xx_never_a_500(bot, body, ctype):
    status, raw = bot.post("/webhooks/rest/webhook", body, content_type=ctype, timeout=20)
    assert 400 <= status < 500, (status, raw[:200])


def test_conversation_survives_a_restart(bot, sender):
    reply = bot.texts(sender, "cos'è l'ammonimento?")
    assert "questore" in reply
    bot.restart()
    events = bot.tracker(sender)["events"]
    assert any(e.get("event") == "user" and "ammonimento" in (e.get("text") or "") for e in events)
    # the slot "topic" is still there: "dimmi di più" continues the same topic after the restart
    assert "3 anni" in bot.texts(sender, "dimmi di più")
