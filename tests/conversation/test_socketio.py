"""The widget's Socket.IO channel over real HTTP/WebSocket against the real Rasa server, with a raw
python-socketio client, as an attacker would use it: only the assistant's own origin is accepted,
the server issues the conversation (web:<random>) and signs it, and no client-chosen, unsigned,
foreign or expired id reaches another conversation (another widget's, a Telegram, WhatsApp or REST one)."""

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
import socketio
import websockets

from assistant import settings
from rasa_addons.channels.socketio import PREFIX, issue

TIMEOUT = 60


class Widget:
    """One raw Socket.IO client: the events it receives, in order."""

    def __init__(self, bot, origin=None):
        self.bot, self.origin = bot, bot.web if origin is None else origin
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events = asyncio.Queue()
        for name in ("session_confirm", "session_error", "bot_uttered"):
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name):
        async def record(data=None):
            await self.events.put((name, data))

        return record

    async def connect(self, transport="polling"):  # (this aiohttp is too old for the client's websocket)
        headers = {"Origin": self.origin} if self.origin else {}
        await self.sio.connect(self.bot.base, headers=headers, transports=[transport], wait_timeout=20)
        return self

    async def next(self, name):
        while True:
            event, data = await asyncio.wait_for(self.events.get(), TIMEOUT)
            if event == name:
                return data

    async def session(self, request=None):
        await self.sio.emit("session_request", request if request is not None else {})
        return await self.next("session_confirm")

    async def say(self, text, **extra):
        """Send a message and wait for the bot's first reply to it."""
        await self.sio.emit("user_uttered", {"message": text, **extra})
        return await self.next("bot_uttered")

    async def close(self):  # (a polite disconnect waits for the pending long-poll: ~30 s)
        await self.sio.eio.disconnect(abort=True)


def conversation(token):
    return PREFIX + token.split(".")[0]


def user_texts(bot, conversation_id):
    """What the person said in a conversation, read through Rasa's HTTP API (with the token; Sanic
    does not decode path parameters, so the id goes as it is)."""
    return [e.get("text") for e in bot.tracker(conversation_id)["events"] if e.get("event") == "user"]


def settled_user_texts(bot, conversation_id, at_least=1):
    """The user texts once the turn is stored (the tracker is saved after the last reply is sent)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        texts = user_texts(bot, conversation_id)
        if len(texts) >= at_least or time.monotonic() > deadline:
            return texts
        time.sleep(0.2)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_foreign_origin_is_refused(bot):
    async def scenario():
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Widget(bot, origin="https://sito-estraneo.example").connect()
        with pytest.raises(socketio.exceptions.ConnectionError):  # the demo site embeds, it does not connect
            await Widget(bot, origin=bot.demo).connect()
        ours = await Widget(bot).connect()
        assert (await ours.session())["session_token"]
        await ours.close()

    run(scenario())


def test_a_foreign_origin_cannot_open_a_websocket(bot):
    url = bot.base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def scenario():
        for origin in ("https://sito-estraneo.example", "null", bot.demo):
            with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
                await websockets.connect(url, origin=origin, open_timeout=20)
            assert refused.value.status_code == 400, origin
        async with websockets.connect(url, origin=bot.web, open_timeout=20) as ws:
            opening = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert opening.startswith("0") and json.loads(opening[1:])["sid"]  # engine.io's open packet

    run(scenario())


def test_a_foreign_origin_gets_a_400_on_the_first_request(bot):
    url = f"{bot.base}/socket.io/?EIO=4&transport=polling"
    request = urllib.request.Request(url, headers={"Origin": "https://sito-estraneo.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=20)
    assert refused.value.code == 400
    request = urllib.request.Request(url, headers={"Origin": bot.web})
    with urllib.request.urlopen(request, timeout=20) as resp:
        assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == bot.web


def test_the_server_issues_a_random_signed_session(bot):
    async def scenario():
        one, two = await Widget(bot).connect(), await Widget(bot).connect()
        first, second = await one.session(), await two.session()
        assert first["renewed"] and second["renewed"]
        session, issued, mac = first["session_token"].split(".")
        assert len(session) >= 22 and abs(int(issued) - time.time()) < 600 and len(mac) >= 43  # >= 128 bits
        assert conversation(first["session_token"]) != conversation(second["session_token"])
        reply = await one.say("ciao")
        assert "Sportello Vittime" in reply["text"]
        assert await asyncio.to_thread(settled_user_texts, bot, conversation(first["session_token"])) == ["ciao"]
        await one.close(), await two.close()

    run(scenario())


def test_a_message_before_the_session_gets_an_error_event(bot):
    async def scenario():
        widget = await Widget(bot).connect()
        await widget.sio.emit("user_uttered", {"message": "ciao", "session_id": "qualunque"})
        assert (await widget.next("session_error"))["reason"]
        await widget.close()

    run(scenario())


def test_client_chosen_unsigned_foreign_or_expired_ids_get_a_fresh_conversation(bot):
    secret = settings.load_widget().session_secret  # the run's secret, handed to the servers by the launcher
    sender = "victim-" + uuid.uuid4().hex[:8]
    bot.say(sender, "ciao")  # a REST conversation

    async def scenario():
        victim = await Widget(bot).connect()
        token = (await victim.session())["session_token"]
        await victim.say("il mio ex mi segue")
        session, issued, mac = token.split(".")
        _, other_secret_token = issue("un-altro-segreto")
        _, expired = issue(secret, now=time.time() - 3 * 24 * 3600)
        forged = [
            {"session_id": session},
            {"session_id": conversation(token)},  # the old protocol: a chosen id
            {"session_token": session},
            {"session_token": conversation(token)},
            {"session_token": f"{session}.{issued}.{mac[:-2]}AA"},
            {"session_token": f"{session}.{int(issued) + 1}.{mac}"},
            {"session_token": other_secret_token},
            {"session_token": expired},
            {"session_token": "tg:123456"},
            {"session_token": "wa:+393330000000"},
            {"session_token": sender},
            {"session_token": "rest:" + sender},
            {"session_token": ["x"]},
            {"session_token": "x" * 10000},
            "testo",
        ]
        attacker = await Widget(bot).connect()
        for request in forged:
            confirm = await attacker.session(request)
            assert confirm["renewed"] is True, request
            mine = conversation(confirm["session_token"])
            assert mine.startswith(PREFIX) and mine != conversation(token), request
        reply = await attacker.say("sono io, dimmi di più", session_id=conversation(token))  # ids in events: ignored
        assert reply["text"]
        assert await asyncio.to_thread(settled_user_texts, bot, mine) == ["sono io, dimmi di più"]
        assert await asyncio.to_thread(settled_user_texts, bot, conversation(token)) == ["il mio ex mi segue"]
        await attacker.close(), await victim.close()

    run(scenario())
    assert ["ciao"] in (user_texts(bot, sender), user_texts(bot, "rest:" + sender))  # untouched
    for other in ("tg:123456", "wa:+393330000000"):
        assert user_texts(bot, other) == []


def test_a_valid_token_continues_the_conversation_and_receives_operator_replies(bot):
    from assistant.handoff.rasa_client import RasaApi

    api = RasaApi(bot.base, bot.token)

    async def scenario():
        first = await Widget(bot).connect()
        token = (await first.session())["session_token"]
        await first.say("ciao")
        await first.close()
        again = await Widget(bot).connect()  # a reconnection, e.g. after a network change
        confirm = await again.session({"session_token": token})
        assert confirm == {"session_token": token, "renewed": False}
        other = await Widget(bot).connect()
        other_token = (await other.session())["session_token"]
        await other.say("buongiorno")
        await api.send(conversation(token), "socketio", "Sono Giulia del servizio.")
        await api.send(conversation(other_token), "socketio", "Messaggio per l'altra persona.")
        assert (await again.next("bot_uttered"))["text"].endswith("Sono Giulia del servizio.")
        # the other socket receives only its own push, sent after the first one
        assert (await other.next("bot_uttered"))["text"].endswith("Messaggio per l'altra persona.")
        assert await asyncio.to_thread(settled_user_texts, bot, conversation(token)) == ["ciao"]
        await again.close(), await other.close()

    run(scenario())


def test_malformed_events_are_answered(bot):
    async def scenario():
        widget = await Widget(bot).connect()
        await widget.session()
        for payload in (None, "testo", 42, {"message": None}, {"message": ["a"]}, {"message": "x" * 50000}):
            await widget.sio.emit("user_uttered", payload)
            reply = await widget.next("bot_uttered")
            assert reply.get("text"), payload
        await widget.close()

    run(scenario())


def test_session_request_without_a_body_is_answered(bot):
    async def scenario():
        widget = await Widget(bot).connect()
        await widget.sio.emit("session_request")
        assert (await widget.next("session_confirm"))["renewed"] is True
        await widget.close()

    run(scenario())


def test_the_widgets_quick_exit_erases_the_conversation(bot):
    """The iframe's quick exit sends /exit_chat before it disconnects: every stored event goes (issue 15)."""
    import sqlalchemy as sa

    def stored(conversation_id):
        engine = sa.create_engine(bot.env["SV_TRACKER_URL"])
        with engine.connect() as conn:
            count = conn.execute(
                sa.text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": conversation_id}
            ).scalar_one()
        engine.dispose()
        return count

    async def scenario():
        widget = await Widget(bot).connect()
        token = (await widget.session())["session_token"]
        reply = await widget.say("mio marito mi picchia, abito a Bra")
        while "in questo momento?" not in (reply.get("text") or ""):  # the helplines first, then the question
            reply = await widget.next("bot_uttered")
        assert await asyncio.to_thread(settled_user_texts, bot, conversation(token))
        assert stored(conversation(token)) > 3
        reply = await widget.say("/exit_chat")
        assert "Ho cancellato" in reply["text"] or "chiuso" in reply["text"]
        deadline = time.monotonic() + TIMEOUT
        while stored(conversation(token)) and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        assert stored(conversation(token)) == 0
        await widget.close()

    run(scenario())
