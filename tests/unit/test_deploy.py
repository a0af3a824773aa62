"""The deploy files expose only what must be public (issue 14). No container engine or cluster
here: compose and Helm values are parsed; nginx is Debian's, started with the rendered public and
internal configurations in front of a local fake upstream and requested over HTTP."""

import http.server
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from assistant import serve, settings
from scripts import lb

ROOT = Path(__file__).resolve().parents[2]

PUBLIC_LOCATIONS = {
    "/socket.io/",
    "= /webhooks/telegram/webhook",
    "= /webhooks/twilio/webhook",
    "/widget/",
    "/vendor/",
    "/",
}


def locations(conf: str):
    return {
        line.strip()[len("location ") : -1].strip()
        for line in conf.splitlines()
        if line.strip().startswith("location ") and line.strip().endswith("{")
    }


def test_public_config_is_the_rendered_template():
    assert (ROOT / "deploy" / "nginx.public.conf").read_text() == lb.render("public"), (
        "run: python scripts/lb.py render"
    )


def test_public_config_exposes_only_public_paths_and_logs_nothing_personal():
    public, internal = lb.render("public"), lb.render("internal")
    assert locations(public) == PUBLIC_LOCATIONS
    assert locations(internal) == PUBLIC_LOCATIONS | {"/webhooks/rest/"}
    assert "/conversations" not in public and "/webhooks/rest" not in public
    assert "log_format sv_private '$time_iso8601 $request_method $uri $status" in public
    for personal in ("$remote_addr'", "$request ", "$request_uri", "$args", "$http_"):
        assert personal not in public.split("log_format sv_private", 1)[1].split(";", 1)[0]
    assert "access_log /var/log/nginx/access.log sv_private;" in public
    assert public.count("limit_req zone=sv_per_address") == 3  # socket.io and the widget's files (/widget/, /vendor/)
    assert "@" not in "".join(line for line in public.splitlines() if not line.startswith("#"))


class Upstream(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.seen = []
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Recorder(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.command, self.path, self.headers.get("X-Real-IP")))
        body = b"upstream"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def fetch(url, method="GET", data=None):
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture
def nginx(tmp_path):
    if not Path(lb.NGINX).exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "debian_tool.sh"), lb.NGINX, "nginx-light"], check=True)
    upstream = Upstream()
    started = []

    def start(profile):
        port = serve.free_port()
        body = lb.render(
            profile,
            rasa=[f"127.0.0.1:{upstream.server_address[1]}"],
            LISTEN=f"127.0.0.1:{port}",
            ACCESS_LOG=str(tmp_path / "access.log"),
            ERROR_LOG=str(tmp_path / "error.log"),
            WEB=f"127.0.0.1:{upstream.server_address[1]}",
        )
        temp = "\n".join(
            f"    {k}_temp_path {tmp_path}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf = tmp_path / f"{profile}.conf"
        conf.write_text(
            f"worker_processes 1;\ndaemon off;\npid {tmp_path}/{profile}.pid;\n"
            f"error_log {tmp_path}/main-error.log warn;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n{temp}\n{body}\n}}\n"
        )
        proc = subprocess.Popen(
            [lb.NGINX, "-c", str(conf), "-p", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()
            except urllib.error.HTTPError:  # nginx answers: it is up
                return base, upstream
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(proc.stderr.read().decode())
                time.sleep(0.1)
        pytest.fail("nginx did not start")

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(10)
    upstream.shutdown()


def test_public_nginx_refuses_rest_and_the_http_api(nginx, tmp_path):
    base, upstream = nginx("public")
    for method, path in [
        ("POST", "/webhooks/rest/webhook"),
        ("GET", "/webhooks/rest/"),
        ("GET", "/conversations/x/tracker"),
        ("GET", "/conversations/tg%3A1/tracker?token=t"),
        ("POST", "/conversations/x/execute"),
        ("GET", "/status"),
        ("POST", "/model/parse"),
        ("GET", "/"),
        ("GET", "/version"),
        ("GET", "/webhooks/telegram/webhook"),
    ]:
        status, _ = fetch(base + path, method, b"{}" if method == "POST" else None)
        assert status in (403, 404), (method, path, status)
    assert upstream.seen == []
    # the public paths reach the upstream, with the client's address for the per-address limit
    assert fetch(base + "/webhooks/telegram/webhook", "POST", b"{}") == (200, b"upstream")
    assert fetch(base + "/webhooks/twilio/webhook", "POST", b"From=x") == (200, b"upstream")
    assert fetch(base + "/socket.io/?EIO=4&transport=polling&sid=SECRETSID") == (200, b"upstream")
    # the widget's files come from the assistant's web server (which sets the iframe page's CSP)
    assert fetch(base + "/widget/frame.html") == (200, b"upstream")
    assert fetch(base + "/vendor/socket.io.min.js") == (200, b"upstream")
    assert fetch(base + "/widget/frame.html", "POST", b"{}")[0] == 403
    assert [(m, p) for m, p, _ in upstream.seen] == [
        ("POST", "/webhooks/telegram/webhook"),
        ("POST", "/webhooks/twilio/webhook"),
        ("GET", "/socket.io/?EIO=4&transport=polling&sid=SECRETSID"),
        ("GET", "/widget/frame.html"),
        ("GET", "/vendor/socket.io.min.js"),
    ]
    assert {ip for _, p, ip in upstream.seen if not p.startswith(("/widget/", "/vendor/"))} == {"127.0.0.1"}
    log = (tmp_path / "access.log").read_text()
    assert "/socket.io/ 200" in log and "/webhooks/rest/webhook 404" in log
    for secret in ("SECRETSID", "token=", "?", "127.0.0.1"):
        assert secret not in log


def test_internal_nginx_also_serves_rest(nginx):
    base, upstream = nginx("internal")
    assert fetch(base + "/webhooks/rest/webhook", "POST", b"{}") == (200, b"upstream")
    assert fetch(base + "/conversations/x/tracker")[0] == 404  # the HTTP API stays unproxied
    assert upstream.seen[0][:2] == ("POST", "/webhooks/rest/webhook")


# -- compose, Dockerfile, Helm values: parsed ---------------------------------------------------------
def compose():
    return yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())


ENTRY = ["python", "-m", "assistant.serve"]


def compose_env(service):
    """The environment of a compose service as the entry point builds it, with sample values for the
    variables compose takes from the operator (${NAME:?...}, ${NAME:-})."""
    given = compose()["services"][service].get("environment") or {}
    sample = {"SV_PUBLIC_ORIGIN": "https://sportello.example.org", "SV_ALLOWED_EMBEDDERS": "https://comune.example.it"}
    env = {
        name: re.sub(r"\$\{(\w+):[?-][^}]*\}", lambda m: sample.get(m.group(1), f"<{m.group(1)}>"), str(value))
        for name, value in given.items()
    }
    return serve.child_env(base=env)


def test_compose_publishes_only_nginx_with_the_public_config():
    services = compose()["services"]
    assert [name for name, s in services.items() if s.get("ports")] == ["nginx"]
    assert "./nginx.public.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    assert services["console"]["environment"]["SV_RASA_URL"] == "http://rasa:5005"  # not through the proxy
    assert compose_env("actions")["SANIC_HOST"] == "0.0.0.0"


def test_compose_starts_every_process_through_the_entry_point_which_derives_rasa_variables():
    services = compose()["services"]
    for name in ("rasa", "actions", "console", "purge", "web"):
        assert services[name]["command"] == [*ENTRY, name]
    for name in ("SV_ACTION_ENDPOINT", "SV_TRACKER_DIALECT"):  # no longer copied by hand
        assert name not in compose()["x-env"]
    env = compose_env("rasa")
    assert env["SV_ACTION_ENDPOINT"] == "http://actions:5055/webhook" and env["SV_TRACKER_DIALECT"] == "postgresql"


def test_compose_requires_every_secret_and_the_api_token(monkeypatch):
    env = compose()["x-env"]
    for name in ("SV_API_TOKEN", "SV_REST_TOKEN", "SV_ACTIONS_SECRET"):
        assert env[name].startswith("${" + name + ":?"), name
    built = compose_env("rasa")
    args = serve.commands(settings.load(built), built["SV_API_TOKEN"], settings.protection(built))["rasa"]
    assert "--enable-api" in args and args[args.index("--auth-token") + 1] == "<SV_API_TOKEN>"
    assert args[args.index("--interface") + 1] == "0.0.0.0" and args[args.index("--cors") + 1 :] == [
        "https://sportello.example.org"
    ]
    monkeypatch.delenv("SV_API_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="SV_API_TOKEN"):  # the entry point refuses to start Rasa without it
        serve.main(["rasa"])


def test_dockerfile_runs_as_non_root_with_a_required_token():
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and not users[-1].startswith(("0", "root"))
    cmd = [line for line in text.splitlines() if line.startswith("CMD ")][-1]
    assert cmd == 'CMD ["python", "-m", "assistant.serve", "rasa"]'  # the token: the test above
    ignored = (ROOT / ".dockerignore").read_text().split()
    for item in (".git", ".venv", "var", "*.db", "tests", "models/*", "!models/sportello.tar.gz"):
        assert item in ignored


def helm(name):
    return yaml.safe_load((ROOT / "deploy" / "helm" / f"values-{name}.yaml").read_text())


def test_helm_bot_values_token_no_subcharts_public_ingress_only():
    values = helm("rasa-bot")
    assert values["command"] == [*ENTRY, "rasa"] and values["args"] == []  # --enable-api --auth-token: above
    env = {e["name"]: e for e in values["extraEnv"]}
    assert env["SV_API_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "api-token"
    assert env["SV_REST_TOKEN"]["valueFrom"] and env["SV_ACTIONS_SECRET"]["valueFrom"]
    assert values["applicationSettings"]["cors"] != "*" and "*" not in env["SV_CORS_ORIGINS"]["value"]
    assert "SV_ACTION_ENDPOINT" not in env and "SV_TRACKER_DIALECT" not in env  # derived by the entry point
    for chart in ("postgresql", "redis", "rabbitmq", "duckling", "rasa-action-server"):
        assert values[chart]["install"] is False, chart
    assert values["nginx"]["enabled"] is False
    assert values["applicationSettings"]["endpoints"]["eventBroker"]["enabled"] is False
    ingress = values["ingress"]
    paths = {ingress["path"]} | {p["path"] for p in ingress["extraPaths"]}
    assert paths == {"/socket.io/", "/webhooks/telegram/webhook", "/webhooks/twilio/webhook"}
    assert ingress["annotations"]["nginx.ingress.kubernetes.io/enable-access-log"] == "false"
    assert values["podSecurityContext"]["runAsNonRoot"] is True


def test_helm_action_server_is_internal_with_its_secret():
    values = helm("rasa-action-server")
    assert values["ingress"]["enabled"] is False
    assert values["command"] == [*ENTRY, "actions"]
    env = {e["name"]: e for e in values["extraEnv"]}
    assert env["SV_ACTIONS_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "actions-secret"
    assert values["podSecurityContext"]["runAsNonRoot"] is True


def test_rasa_sends_the_action_secret_and_the_launcher_keeps_servers_on_sv_host():
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["headers"] == {settings.ACTIONS_SECRET_HEADER: "${SV_ACTIONS_SECRET}"}
    s = settings.load({"SV_HOST": "127.0.0.1"})
    cmds = serve.commands(s, "tok", settings.protection({}))
    rasa = cmds["rasa"]
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1" and rasa[rasa.index("--auth-token") + 1] == "tok"
    assert "*" not in rasa[rasa.index("--cors") + 1 :]
    assert cmds["actions"][-1] == "--cors"  # no origin at all
    with pytest.raises(SystemExit):
        serve.commands(s, "", settings.protection({}))
    assert shutil.which("sh")


def test_the_purge_is_its_own_scheduled_job_in_compose_and_kubernetes():
    """Retention does not depend on the console: a compose service and a Kubernetes CronJob run it."""
    service = compose()["services"]["purge"]
    assert service["command"] == [*ENTRY, "purge"]
    env = compose_env("purge")
    assert serve.commands(settings.load(env), "tok")["purge"][2:] == ["rasa_addons.retention", "purge", "--every", "24"]
    assert "SV_AUDIT_KEY" in compose()["x-env"]
    job = yaml.safe_load((ROOT / "deploy" / "helm" / "purge-cronjob.yaml").read_text())
    assert job["kind"] == "CronJob" and job["spec"]["concurrencyPolicy"] == "Forbid"
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == [*ENTRY, "purge"]
    cron_env = {item["name"]: item.get("value") for item in container["env"]}
    assert serve.commands(settings.load(cron_env), "tok")["purge"][2:] == ["rasa_addons.retention", "purge"]  # once
    names = set(cron_env)
    assert {"SV_TRACKER_URL", "SV_DATABASE_URL", "SV_LOCK_STORE", "SV_AUDIT_KEY"} <= names


def test_the_action_server_keeps_connections_open_longer_than_rasas_client():
    """aiohttp (Rasa's client) reuses an idle connection for up to 15 s: a server that closes it sooner
    races with the next turn ("Cannot write to closing transport")."""
    from assistant import serve

    env = serve.child_env(base={"PATH": "/usr/bin"})
    assert int(env["SANIC_KEEP_ALIVE_TIMEOUT"]) > 15
