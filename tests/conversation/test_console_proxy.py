"""The console's own process behind Debian's nginx (a trusted proxy), clients on different loopback
addresses: login slow-down per address and per user, cookies and hashed session ids. No Rasa needed."""

import hashlib
import re
import subprocess
import tempfile
from pathlib import Path

import pyotp
import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.conftest import serve

NGINX = "/usr/sbin/nginx"
PASSWORD = "una-password-lunga-456"
SECRET = pyotp.random_base32()


class FromAddress(HTTPAdapter):
    """Connections from a chosen loopback address (Linux answers on all of 127.0.0.0/8)."""

    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def client(source: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", FromAddress(source))
    return s


def _console(tmp: Path, extra: dict):
    port = serve.free_port()
    env = {
        "SV_DATABASE_URL": f"sqlite:///{tmp}/sportello.db",
        "SV_TRACKER_URL": f"sqlite:///{tmp}/tracker.db",
        "SV_CONSOLE_PORT": str(port),
        "SV_AUDIT_KEY": "chiave-di-prova",
        **extra,
    }
    from assistant.console.app import create_operator

    create_operator("operatrice", PASSWORD, url=env["SV_DATABASE_URL"], totp_secret=SECRET)
    procs = serve.start(env_extra=env, log_dir=tmp, only=["console"])
    if not serve.wait_ready(f"http://127.0.0.1:{port}/login", 60, list(procs.values())):
        serve.stop(procs)
        pytest.fail((tmp / "console.log").read_text(errors="replace")[-3000:])
    return procs, port, env


@pytest.fixture(scope="module")
def behind_nginx():
    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} missing: bash scripts/debian_tool.sh {NGINX} nginx-light")
    tmp = Path(tempfile.mkdtemp(prefix="sv-console-proxy-"))
    procs, port, env = _console(tmp, {"SV_CONSOLE_TRUSTED_PROXIES": "1", "SV_CONSOLE_INSECURE_COOKIES": "1"})
    front = serve.free_port()
    temp = "\n".join(f"    {k}_temp_path {tmp}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "nginx.conf").write_text(f"""worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{front};
        location / {{
            proxy_pass http://127.0.0.1:{port};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
""")
    procs["nginx"] = subprocess.Popen(
        [NGINX, "-c", str(tmp / "nginx.conf"), "-p", str(tmp)],
        stdout=open(tmp / "nginx-out.log", "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert serve.wait_ready(f"http://127.0.0.1:{front}/login", 30, list(procs.values()))
    yield f"http://127.0.0.1:{front}", env
    serve.stop(procs)


def _csrf(text):
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def attempt(s, base, username, password, headers=None):
    csrf = _csrf(s.get(base + "/login", timeout=10).text)
    return s.post(
        base + "/login",
        data={"csrf": csrf, "username": username, "password": password},
        headers=headers or {},
        allow_redirects=False,
        timeout=30,
    )


def test_failures_from_one_address_do_not_block_a_login_from_another(behind_nginx):
    base, _env = behind_nginx
    attacker = client("127.0.0.2")
    statuses = []
    for i in range(30):
        # a forged X-Forwarded-For does not make the attacker someone else: nginx appends the real peer
        resp = attempt(attacker, base, "operatrice", f"sbagliata-{i}", {"X-Forwarded-For": f"10.0.0.{i}"})
        statuses.append(resp.status_code)
    assert statuses[:3] == [401, 401, 401]
    assert set(statuses[3:]) == {429}  # slowed down: refused unchecked while it must wait
    assert "Riprova tra" in resp.text and int(resp.headers["Retry-After"]) >= 1
    # the same user from another address logs in at once, second factor included
    operator = client("127.0.0.3")
    resp = attempt(operator, base, "operatrice", PASSWORD)
    assert resp.status_code == 303 and resp.headers["Location"] == "/login/codice"
    page = operator.get(base + "/login/codice", timeout=10).text
    resp = operator.post(
        base + "/login/codice",
        data={"csrf": _csrf(page), "codice": pyotp.TOTP(SECRET).now()},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 303 and resp.headers["Location"] == "/coda"
    assert "Richieste di contatto" in operator.get(base + "/coda", timeout=10).text
    # and the attacker's address is still slowed down, even with the right password
    assert attempt(attacker, base, "operatrice", PASSWORD).status_code == 429


def test_cookies_are_secure_with_host_names_by_default_and_ids_stored_hashed(tmp_path):
    procs, port, env = _console(tmp_path, {"SV_CONSOLE_INSECURE_COOKIES": "0"})
    try:
        base = f"http://127.0.0.1:{port}"
        form = requests.get(base + "/login", timeout=10)
        cookie = form.headers["Set-Cookie"]
        assert cookie.startswith("__Host-sv_login=") and "Secure" in cookie and "HttpOnly" in cookie
        assert "Path=/" in cookie and "Domain" not in cookie
        token = form.cookies.get("__Host-sv_login")
        # a browser sends Secure cookies only over https; send it by hand to follow the login over http
        resp = requests.post(
            base + "/login",
            cookies={"__Host-sv_login": token},
            allow_redirects=False,
            timeout=30,
            data={"csrf": _csrf(form.text), "username": "operatrice", "password": PASSWORD},
        )
        assert resp.status_code == 303
        session_cookie = resp.headers["Set-Cookie"]
        assert session_cookie.startswith("__Host-sv_console=") and "Secure" in session_cookie
        sid = re.match(r"__Host-sv_console=([^;]+)", session_cookie).group(1)
        import sqlalchemy as sa

        engine = sa.create_engine(env["SV_DATABASE_URL"])
        with engine.connect() as conn:
            stored = [r[0] for r in conn.execute(sa.text("SELECT id FROM console_sessions"))]
        engine.dispose()
        assert sid not in stored and hashlib.sha256(sid.encode()).hexdigest() in stored
    finally:
        serve.stop(procs)
