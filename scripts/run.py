"""Start the whole assistant on localhost: action server, Rasa server (REST + Socket.IO, HTTP API
with a token), the widget's files and the demo site that embeds it. Ctrl-C stops every child process.

Secrets: the HTTP API token (SV_API_TOKEN) and the action server's shared secret (SV_ACTIONS_SECRET)
are generated for the run when unset; both servers listen on SV_HOST only (docs/security.md).

Used by `make run`; tests start the same processes through :func:`start`.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from assistant import settings as settings_module

ROOT = Path(__file__).resolve().parent.parent

VENV_BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "sportello.tar.gz"


def child_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.update(extra or {})
    env.update(settings_module.rasa_environment(settings_module.load(env), env))
    return env


def commands(s: settings_module.Settings, token: str,
             p: Optional[settings_module.Protection] = None) -> Dict[str, List[str]]:
    p = p or settings_module.protection()
    if not token:
        raise SystemExit("the Rasa HTTP API needs a token (SV_API_TOKEN)")
    cors = [origin for origin in p.cors_origins.replace(",", " ").split() if origin != "*"]
    return {
        # rasa_sdk listens on SANIC_HOST (set by start() from SV_HOST) and checks SV_ACTIONS_SECRET
        "actions": [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions",
                    "--port", str(s.actions_port), "--cors"],  # no origin: browsers never call it
        "rasa": [str(VENV_BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                 "--credentials", "credentials.yml", "--interface", s.host, "--port", str(s.rasa_port),
                 "--enable-api", "--auth-token", token, "--cors", *(cors or [""])],
        "console": [str(VENV_BIN / "python"), "-m", "assistant.console", "serve", "--port", str(s.console_port)],
        # retention: its own process, purging at start and then every SV_PURGE_INTERVAL_HOURS
        "purge": [str(VENV_BIN / "python"), "-m", "rasa_addons.retention", "purge", "--every", str(s.purge_interval_hours)],
        "web": [str(VENV_BIN / "python"), str(ROOT / "scripts" / "webserver.py"), "--host", s.host,
                "--port", str(s.web_port), "--rasa-url", f"http://{s.host}:{s.rasa_port}"],
    }


def free_port() -> int:
    """A free TCP port on loopback (tests and the benchmark start servers side by side)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, timeout: float, procs: List[subprocess.Popen]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def start(env_extra: Optional[Dict[str, str]] = None, log_dir: Optional[Path] = None,
          token: Optional[str] = None, only: Optional[List[str]] = None) -> Dict[str, subprocess.Popen]:
    """Start the processes (all, or those named in `only`); returns them by name (stop them with stop())."""
    env = child_env(env_extra)
    s = settings_module.load(env)
    token = token or os.environ.get("SV_API_TOKEN") or secrets.token_hex(24)  # hex: never starts with "-" (a CLI argument)
    env["SV_API_TOKEN"] = token  # the console reads transcripts and resumes conversations with it
    env["SV_RASA_URL"] = f"http://{s.host}:{s.rasa_port}"
    if s.host in ("127.0.0.1", "localhost", "::1"):  # the console is served over plain http on loopback
        env.setdefault("SV_CONSOLE_INSECURE_COOKIES", "1")
    env["SV_ACTIONS_SECRET"] = env.get("SV_ACTIONS_SECRET") or secrets.token_urlsafe(32)
    env["SANIC_HOST"] = s.host  # the action server's address (rasa_sdk's default is every interface)
    procs: Dict[str, subprocess.Popen] = {}
    for name, cmd in commands(s, token, settings_module.protection(env)).items():
        if only and name not in only:
            continue
        out = open(log_dir / f"{name}.log", "ab") if log_dir else None
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                                       start_new_session=True)
    return procs


def stop(procs: Dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> int:
    s = settings_module.load()
    generated = not os.environ.get("SV_API_TOKEN")
    token = os.environ.get("SV_API_TOKEN") or secrets.token_hex(24)
    started = time.monotonic()
    rest_note = "  (header Authorization: Bearer $SV_REST_TOKEN)" if settings_module.protection().rest_token else ""
    # Ctrl-C and SIGTERM stop everything, even when started from a shell that ignores SIGINT
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    procs = start(token=token)
    try:
        print("==> starting (the Rasa server needs about 25 s to load the model)...", flush=True)
        base = f"http://{s.host}:{s.rasa_port}"
        if not wait_ready(f"{base}/webhooks/rest/", 300, list(procs.values())):
            print("error: the Rasa server did not start; see the messages above", file=sys.stderr)
            return 1
        print(f"""
==> Sportello Vittime is ready ({time.monotonic() - started:.0f} s)
    Chat (REST):      POST {base}/webhooks/rest/webhook   {{"sender": "id", "message": "ciao"}}{rest_note}
    Socket.IO:        {base}/socket.io/
    Rasa HTTP API:    {base}/  (token{' generated for this run' if generated else ' from SV_API_TOKEN'}: {token})
    Action server:    http://{s.host}:{s.actions_port}/health
    Widget (iframe):  http://{s.host}:{s.web_port}/widget/   demo site embedding it: http://{s.host}:{settings_module.load_widget().demo_port}/
    Operator console: http://{s.host}:{s.console_port}/  (create an operator: python -m assistant.console create-operator NAME)
    Retention purge:  every {s.purge_interval_hours} h, {s.retention_days} days (python -m rasa_addons.retention purge)
    Tracker store:    {s.tracker_url}
    Press Ctrl-C to stop.
""", flush=True)
        while all(p.poll() is None for p in procs.values()):
            time.sleep(1)
        print("error: a process stopped unexpectedly", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n==> stopping...", flush=True)
        return 0
    finally:
        stop(procs)


if __name__ == "__main__":
    sys.exit(main())
