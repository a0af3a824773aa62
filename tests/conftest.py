"""Fixtures shared by the tests.

- `bot` (conversation and browser tests): the real action server, Rasa server and demo web server,
  started once per test session on free ports with a fresh SQLite tracker store, talked to over HTTP
  like any client. Unit tests never start them.
- `postgres_url`, `redis_url`: the PostgreSQL and Redis of the session (scripts/services.py):
  SV_TEST_PG_URL / SV_TEST_REDIS_URL, else the local servers, else throwaway ones started here."""

import json
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from assistant import serve
from scripts import services  # serve: the same launcher as `make run`
from tests.fakes import Recorder

ROOT = Path(__file__).resolve().parents[1]

TELEGRAM_TOKEN = "123456:TEST-token"
TELEGRAM_SECRET = "s3cr3t-webhook-token"
TWILIO_SID, TWILIO_TOKEN, TWILIO_NUMBER = "AC" + "1" * 32, "twilio-auth-token", "whatsapp:+390000000000"
REST_TOKEN = "rest-" + uuid.uuid4().hex  # the REST channel requires it, as in the deploy files
ACTIONS_SECRET = "actions-" + uuid.uuid4().hex
ID_PREFIXES = ("rest:", "tg:", "wa:", "web:")


class Bot:
    def __init__(self, base: str, token: str, env: dict, log_dir: Path):
        self.base, self.token, self.env, self.log_dir = base, token, env, log_dir

    @property
    def auth(self) -> dict:
        """The REST channel's token header."""
        return {"Authorization": f"Bearer {self.env['SV_REST_TOKEN']}"}

    def post(self, path: str, body, content_type="application/json", timeout=60, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": content_type, **self.auth, **(headers or {})}
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def say(self, sender: str, text: str):
        status, raw = self.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert status == 200, (status, raw[:300])
        return json.loads(raw)

    def texts(self, sender: str, text: str) -> str:
        """All the bot's texts for one user message, joined (buttons' titles included)."""
        out = []
        for msg in self.say(sender, text):
            out.append(msg.get("text", ""))
            out.extend(b["title"] for b in msg.get("buttons", []))
        return "\n".join(out)

    def tracker(self, sender: str):
        """The stored conversation; a bare REST sender is stored as rest:<sender>."""
        conversation = sender if sender.startswith(ID_PREFIXES) else f"rest:{sender}"
        url = f"{self.base}/conversations/{urllib.parse.quote(conversation, safe='')}/tracker?token={self.token}"
        with urllib.request.urlopen(url, timeout=30) as resp:
            return json.loads(resp.read())


def _start(env: dict, log_dir: Path, token: str):
    procs = serve.start(env_extra=env, log_dir=log_dir, token=token)
    base = f"http://127.0.0.1:{env['SV_RASA_PORT']}"
    ok = (
        serve.wait_ready(f"{base}/webhooks/rest/", 240, list(procs.values()))
        and serve.wait_ready(f"http://127.0.0.1:{env['SV_ACTIONS_PORT']}/health", 60, list(procs.values()))
        and serve.wait_ready(f"http://127.0.0.1:{env['SV_CONSOLE_PORT']}/login", 60, list(procs.values()))
    )
    if not ok:
        serve.stop(procs)
        logs = "\n".join((log_dir / f"{n}.log").read_text(errors="replace")[-3000:] for n in procs)
        pytest.fail(f"servers did not start:\n{logs}")
    return procs


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL URL (database `test`; tests create databases of their own beside it)."""
    with services.postgres() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url():
    """A Redis URL (database 0; tests that flush pick another number)."""
    with services.redis() as url:
        yield url


@pytest.fixture(scope="session")
def fake_telegram():
    server = Recorder()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_twilio():
    server = Recorder()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bot(fake_telegram, fake_twilio):
    tmp = Path(tempfile.mkdtemp(prefix="sv-conv-"))
    rasa_port = serve.free_port()
    env = {
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_BOT_NAME": "sportello_test_bot",
        "TELEGRAM_API_URL": fake_telegram.url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{rasa_port}/webhooks/telegram/webhook",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_NUMBER": TWILIO_NUMBER,
        "TWILIO_API_URL": fake_twilio.url,
        "TWILIO_WEBHOOK_URL": f"http://127.0.0.1:{rasa_port}/webhooks/twilio/webhook",
        "SV_RASA_PORT": str(rasa_port),
        "SV_ACTIONS_PORT": str(serve.free_port()),
        "SV_WEB_PORT": str(serve.free_port()),
        "SV_TRACKER_URL": f"sqlite:///{tmp}/tracker.db",
        "SV_DATABASE_URL": f"sqlite:///{tmp}/sportello.db",
        "SV_CONSOLE_PORT": str(serve.free_port()),
        "SV_REST_TOKEN": REST_TOKEN,
        "SV_ACTIONS_SECRET": ACTIONS_SECRET,
        "SV_DEMO_PORT": str(serve.free_port()),  # the demo site embedding the widget (another origin)
    }
    from assistant.directory import loader

    loader.load(env["SV_DATABASE_URL"])
    token = uuid.uuid4().hex
    started = time.monotonic()
    procs = _start(env, tmp, token)
    print(f"\nservers ready in {time.monotonic() - started:.0f} s (logs in {tmp})")
    b = Bot(f"http://127.0.0.1:{env['SV_RASA_PORT']}", token, env, tmp)
    b.web = f"http://127.0.0.1:{env['SV_WEB_PORT']}"
    b.demo = f"http://127.0.0.1:{env['SV_DEMO_PORT']}"
    b.console = f"http://127.0.0.1:{env['SV_CONSOLE_PORT']}"
    b.db_url = env["SV_DATABASE_URL"]
    b.procs = procs
    b.restart = lambda: _restart(b)
    yield b
    serve.stop(b.procs)


def _restart(b: Bot):
    serve.stop(b.procs)
    b.procs = _start(b.env, b.log_dir, b.token)


@pytest.fixture
def sender():
    return "test-" + uuid.uuid4().hex[:12]
