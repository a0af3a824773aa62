"""Telegram and WhatsApp (Twilio) channels: the real Rasa server receives signed webhook calls and
talks to local fakes of the Telegram Bot API and of the Twilio REST API over real HTTP."""

import asyncio
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import aiohttp
from twilio.request_validator import RequestValidator

from tests.conftest import TELEGRAM_SECRET, TELEGRAM_TOKEN, TWILIO_NUMBER, TWILIO_TOKEN

_ids = itertools.count(1000)


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the fake API to be called")


# -- Telegram ---------------------------------------------------------------------------------
def tg_update(chat_id, text=None, callback=None):
    update_id = next(_ids)
    chat = {"id": chat_id, "type": "private"}
    if callback is not None:
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "data": callback,
                "from": {"id": chat_id},
                "message": {"chat": chat},
            },
        }
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "chat": chat, "text": text, "from": {"id": chat_id, "is_bot": False}},
    }


def tg_post(bot, update, secret=TELEGRAM_SECRET):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    req = urllib.request.Request(
        bot.base + "/webhooks/telegram/webhook", data=json.dumps(update).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def sent_to(fake, chat_id):
    return [c for c in fake.of("sendMessage") if str(c["body"].get("chat_id")) == str(chat_id)]


def test_telegram_message_gets_italian_reply_with_inline_keyboard(bot, fake_telegram):
    chat = 7001
    assert tg_post(bot, tg_update(chat, "/start")) == 200
    calls = wait_for(lambda: sent_to(fake_telegram, chat))
    greeting = calls[0]
    assert greeting["path"] == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert "Sportello Vittime" in greeting["body"]["text"]
    keyboard = greeting["body"]["reply_markup"]["inline_keyboard"]
    assert ["Trovare un servizio vicino a me"] in [[b["text"] for b in row] for row in keyboard]
    assert all(len(b["callback_data"].encode()) <= 64 for row in keyboard for b in row)


def test_telegram_button_press_is_handled(bot, fake_telegram):
    chat = 7002
    tg_post(bot, tg_update(chat, "/start"))
    wait_for(lambda: sent_to(fake_telegram, chat))
    update = tg_update(chat, callback="/kb_patrocinio")
    assert tg_post(bot, update) == 200
    answered = wait_for(
        lambda: fake_telegram.of("answerCallbackQuery", callback_query_id=update["callback_query"]["id"])
    )
    assert answered
    texts = wait_for(
        lambda: [c["body"]["text"] for c in sent_to(fake_telegram, chat) if "patrocinio" in c["body"]["text"]]
    )
    assert "D.P.R. 115/2002" in texts[0]


def test_telegram_forged_calls_are_rejected(bot, fake_telegram):
    chat = 7003
    before = len(fake_telegram.calls)
    assert tg_post(bot, tg_update(chat, "ciao"), secret="wrong") == 403
    assert tg_post(bot, tg_update(chat, "ciao"), secret=None) == 403
    time.sleep(1)
    assert not sent_to(fake_telegram, chat) and len(fake_telegram.calls) == before
    # no conversation was created: the tracker has no user message
    assert not [e for e in bot.tracker(f"tg:{chat}")["events"] if e["event"] == "user"]


def test_telegram_help_command_and_photo(bot, fake_telegram):
    chat = 7004
    tg_post(bot, tg_update(chat, "/aiuto"))
    assert "Posso spiegarti" in wait_for(lambda: sent_to(fake_telegram, chat))[0]["body"]["text"]
    photo = {
        "update_id": next(_ids),
        "message": {"message_id": 1, "chat": {"id": chat, "type": "private"}, "photo": [{"file_id": "x"}]},
    }
    assert tg_post(bot, photo) == 200
    wait_for(lambda: any("Non ho ricevuto nessun testo" in c["body"]["text"] for c in sent_to(fake_telegram, chat)))


def test_telegram_exit_resets_the_conversation(bot, fake_telegram):
    chat = 7005
    tg_post(bot, tg_update(chat, "cos'è l'ammonimento?"))
    wait_for(lambda: sent_to(fake_telegram, chat))
    assert bot.tracker(f"tg:{chat}")["slots"]["topic"] == "ammonimento"
    tg_post(bot, tg_update(chat, "/esci"))
    texts = wait_for(
        lambda: [c["body"]["text"] for c in sent_to(fake_telegram, chat) if "Elimina chat" in c["body"]["text"]]
    )
    assert "112" in texts[0]
    tracker = bot.tracker(f"tg:{chat}")  # events after the restart only
    assert tracker["slots"]["topic"] is None
    assert not [e for e in tracker["events"] if e["event"] == "user" and "ammonimento" in (e.get("text") or "")]


def test_telegram_burst_of_50_updates_from_10_chats_in_order(bot, fake_telegram):
    questions = [
        "cos'è l'ammonimento?",
        "posso avere un avvocato gratis?",
        "cos'è il codice rosso?",
        "cos'è la giustizia riparativa?",
        "cosa dice la legge regionale 23 del 2007?",
    ]
    markers = ["questore", "patrocinio a spese dello Stato", "Codice Rosso", "giustizia riparativa", "L.R. 23/2007"]
    chats = list(range(7100, 7110))

    async def one_chat(session, chat):
        statuses = []
        for question in questions:
            async with session.post(
                bot.base + "/webhooks/telegram/webhook",
                json=tg_update(chat, question),
                headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
            ) as resp:
                statuses.append(resp.status)
        return statuses

    async def burst():
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
            return await asyncio.gather(*(one_chat(session, chat) for chat in chats))

    statuses = asyncio.run(burst())
    assert all(s == 200 for chat_statuses in statuses for s in chat_statuses)
    for chat in chats:
        answers = [c["body"]["text"] for c in sent_to(fake_telegram, chat) if "Riferimenti:" in c["body"]["text"]]
        order = [next(i for i, marker in enumerate(markers) if marker in text) for text in answers]
        assert order == [0, 1, 2, 3, 4], (chat, order)


# -- WhatsApp through Twilio ------------------------------------------------------------------
def wa_post(bot, sender, body="", media=0, sign=True):
    url = bot.env["TWILIO_WEBHOOK_URL"]
    params = {
        "From": sender,
        "To": TWILIO_NUMBER,
        "Body": body,
        "NumMedia": str(media),
        "MessageSid": "SM" + str(next(_ids)).zfill(32),
        "AccountSid": "AC" + "1" * 32,
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    else:
        headers["X-Twilio-Signature"] = "forged"
    req = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def wa_sent(fake, to):
    return [c["body"]["Body"] for c in fake.of("Messages.json", To=to)]


def test_whatsapp_reply_with_numbered_options_and_digit_answer(bot, fake_twilio):
    user = "whatsapp:+393330000001"
    assert wa_post(bot, user, "ciao") == 200
    first = wait_for(lambda: wa_sent(fake_twilio, user))
    call = fake_twilio.of("Messages.json", To=user)[0]
    assert call["path"].endswith("/Accounts/AC" + "1" * 32 + "/Messages.json") and call["auth"].startswith("Basic ")
    assert call["body"]["From"] == TWILIO_NUMBER
    assert "Sportello Vittime" in first[0] and "1. Trovare un servizio vicino a me" in first[0]
    assert "4. Avvocato gratuito" in first[0] and "Rispondi con il numero" in first[0]
    assert wa_post(bot, user, "4") == 200
    wait_for(lambda: any("patrocinio a spese dello Stato" in t for t in wa_sent(fake_twilio, user)))


def test_whatsapp_forged_signature_is_rejected(bot, fake_twilio):
    user = "whatsapp:+393330000002"
    assert wa_post(bot, user, "ciao", sign=False) == 403
    time.sleep(1)
    assert not wa_sent(fake_twilio, user)


def test_whatsapp_media_and_empty_messages(bot, fake_twilio):
    user = "whatsapp:+393330000003"
    assert wa_post(bot, user, "", media=1) == 200
    wait_for(lambda: any("allegato" in t for t in wa_sent(fake_twilio, user)))
    assert wa_post(bot, user, "   ") == 200
    wait_for(lambda: any("Non ho ricevuto nessun testo" in t for t in wa_sent(fake_twilio, user)))


def test_whatsapp_exit_explains_how_to_delete(bot, fake_twilio):
    user = "whatsapp:+393330000004"
    wa_post(bot, user, "esci")
    wait_for(lambda: any("Svuota chat" in t for t in wa_sent(fake_twilio, user)))
