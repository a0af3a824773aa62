"""/esci, the widget's quick exit and "cancella la conversazione" erase the conversation for real:
the tracker store is read back with every event of every session."""

import json
import re
import uuid

import sqlalchemy as sa

from assistant.handoff import models as hm


def stored_events(bot, conversation_id):
    engine = sa.create_engine(bot.env["SV_TRACKER_URL"])
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT type_name, data FROM events WHERE sender_id = :s"), {"s": conversation_id}
        ).all()
    engine.dispose()
    return rows


def handoffs_of(bot, sender):
    engine = sa.create_engine(bot.db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(hm.Handoff.id).where(hm.Handoff.conversation_id == f"rest:{sender}")).all()
    engine.dispose()
    return rows


def test_exit_erases_every_event_and_the_handoff(bot):
    sender = "erase-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "il mio ex mi perseguita, il mio numero è 333 1234567")
    bot.texts(sender, "voglio parlare con qualcuno")
    bot.texts(sender, "sì")
    done = bot.texts(sender, '/inform_contact{"handoff_contact": "qui in chat"}')
    number = re.search(r"richiesta n\. (\d+)", done).group(1)
    assert len(stored_events(bot, "rest:" + sender)) > 10 and handoffs_of(bot, sender)

    reply = bot.texts(sender, "/exit_chat")  # Telegram's /esci and the widget's quick exit send this

    assert stored_events(bot, "rest:" + sender) == []  # nothing of any session remains, the exit turn included
    assert handoffs_of(bot, sender) == []
    assert "Ho cancellato dal nostro server" in reply and f"n. {number}" in reply
    assert "potrebbe averla vista" in reply  # no operator had opened it: said as it is
    # the conversation starts afresh
    assert "Sportello Vittime" in bot.texts(sender, "ciao")
    assert all(
        json.loads(r[1]).get("text") != "il mio ex mi perseguita, il mio numero è 333 1234567"
        for r in stored_events(bot, "rest:" + sender)
    )


def test_asking_in_words_erases_too(bot):
    sender = "erase-words-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "mi picchia")
    reply = bot.texts(sender, "cancella la conversazione")
    assert "Ho cancellato dal nostro server" in reply and "richiesta" not in reply
    assert stored_events(bot, "rest:" + sender) == []


def test_an_ordinary_turn_erases_nothing(bot):
    sender = "keep-" + uuid.uuid4().hex[:8]
    bot.texts(sender, "ciao")
    assert len(stored_events(bot, "rest:" + sender)) > 3


def test_telegram_esci_erases_the_stored_conversation(bot, fake_telegram):
    from tests.conversation.test_messaging import sent_to, tg_post, tg_update, wait_for

    chat = 7801
    ids = (str(chat), f"tg:{chat}")  # the conversation id, before and after the server-made ids

    def stored():
        return [row for sender in ids for row in stored_events(bot, sender)]

    tg_post(bot, tg_update(chat, "cos'è l'ammonimento? abito in via Roma 3"))
    wait_for(lambda: sent_to(fake_telegram, chat))
    assert stored()
    tg_post(bot, tg_update(chat, "/esci"))
    texts = wait_for(
        lambda: [
            c["body"]["text"]
            for c in sent_to(fake_telegram, chat)
            if "Ho cancellato dal nostro server" in c["body"]["text"]
        ]
    )
    assert "112" in texts[0]
    assert stored() == []  # the reply comes only after the erasure
    assert not [c for c in sent_to(fake_telegram, chat) if "problema tecnico" in c["body"]["text"]]
