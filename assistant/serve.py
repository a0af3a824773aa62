"""The one entry point: builds each process's environment from the settings, then starts it.

    python -m assistant.serve rasa      the Rasa server (REST + Socket.IO, HTTP API with SV_API_TOKEN)
    python -m assistant.serve actions   the action server (SV_ACTIONS_SECRET)
    python -m assistant.serve console   the operator console
    python -m assistant.serve purge     the retention purge, every SV_PURGE_INTERVAL_HOURS (0: once)
    python -m assistant.serve web       the widget's files (and the demo site on SV_DEMO_PORT, 0: none)
    python -m assistant.serve all       all of them on this machine (what `make run` does); Ctrl-C stops them

One process (compose, Helm): the variables that endpoints.yml and credentials.yml expand
(SV_TRACKER_DIALECT, SV_ACTION_ENDPOINT, ...) are derived from the settings, then the process
replaces this one (exec), so it gets the container's signals. It needs its secrets set:
`rasa` stops without SV_API_TOKEN. `all`: the HTTP API token (SV_API_TOKEN) and the action
server's secret (SV_ACTIONS_SECRET) are generated for the run when unset, and every server listens
on SV_HOST only (docs/security.md). Tests start the same processes through :func:`start`.

Rasa runs as a child process (the venv's `rasa` script): this package never imports Rasa.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from assistant import db, settings

ROOT = settings.PROJECT_ROOT
BIN = Path(sys.executable).parent  # the environment's scripts (`rasa`) sit beside its python
MODEL = ROOT / "models" / "sportello.tar.gz"
PROCESSES = ("actions", "rasa", "console", "purge", "web")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


ACTIONS_KEEP_ALIVE_S = 75  # longer than aiohttp's 15 s keep-alive of the client


def child_env(extra: Optional[Dict[str, str]] = None, base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The children's environment: `base` (default: this process's own, which they inherit), `extra`,
    the variables derived from the settings that endpoints.yml and credentials.yml expand, and
    SANIC_HOST, the action server's address (rasa_sdk's default is every interface), from SV_HOST, and the
    action server's keep-alive (SANIC_KEEP_ALIVE_TIMEOUT)."""
    env = dict(os.environ if base is None else base)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.update(extra or {})
    s = settings.load(env)
    env.update(settings.rasa_environment(s, env))
    env["SANIC_HOST"] = s.host
    # Rasa's aiohttp client keeps an idle connection to the action server for up to 15 s; Sanic closes it
    # after 5 s by default, so a turn could be written to a closing connection ("Cannot write to closing
    # transport", seen under load). The server keeps its side open longer than the client does.
    env.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", str(ACTIONS_KEEP_ALIVE_S))
    return env


def run_env(env: Dict[str, str], token: Optional[str] = None) -> Dict[str, str]:
    """`all` and the tests: every process on SV_HOST, secrets for this run when unset."""
    s = settings.load(env)
    env["SV_API_TOKEN"] = token or env.get("SV_API_TOKEN") or secrets.token_hex(24)  # hex: never starts with "-"
    env["SV_RASA_URL"] = f"http://{s.host}:{s.rasa_port}"  # the console reads transcripts, resumes conversations
    if s.host in LOOPBACK:  # the console is served over plain http on loopback
        env.setdefault("SV_CONSOLE_INSECURE_COOKIES", "1")
    env["SV_ACTIONS_SECRET"] = env.get("SV_ACTIONS_SECRET") or secrets.token_urlsafe(32)
    return env


def commands(s: settings.Settings, token: str, p: Optional[settings.Protection] = None) -> Dict[str, List[str]]:
    p = p or settings.protection()
    if not token:
        raise SystemExit("the Rasa HTTP API needs a token (SV_API_TOKEN)")
    cors = [origin for origin in p.cors_origins.replace(",", " ").split() if origin != "*"]
    every = ["--every", str(s.purge_interval_hours)] if s.purge_interval_hours > 0 else []
    return {
        # rasa_sdk listens on SANIC_HOST (set from SV_HOST) and checks SV_ACTIONS_SECRET
        "actions": [
            str(BIN / "rasa"),
            "run",
            "actions",
            "--actions",
            "actions",
            "--port",
            str(s.actions_port),
            "--cors",
        ],  # no origin: browsers never call it
        "rasa": [
            str(BIN / "rasa"),
            "run",
            "--model",
            str(MODEL),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
            "--interface",
            s.host,
            "--port",
            str(s.rasa_port),
            "--enable-api",
            "--auth-token",
            token,
            "--cors",
            *(cors or [""]),
        ],
        "console": [sys.executable, "-m", "assistant.console", "serve", "--port", str(s.console_port)],
        # retention: its own process, purging at start and then every SV_PURGE_INTERVAL_HOURS
        "purge": [sys.executable, "-m", "rasa_addons.retention", "purge", *every],
        "web": [
            sys.executable,
            "-m",
            "scripts.webserver",
            "--host",
            s.host,
            "--port",
            str(s.web_port),
            "--rasa-url",
            f"http://{s.host}:{s.rasa_port}",
        ],
    }


def _prepare(env: Mapping[str, str]) -> settings.Settings:
    s = settings.load(env)
    for url in (s.tracker_url, s.directory_url):  # the default SQLite files live in var/
        db.ensure_sqlite_dir(url)
    return s


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


def start(
    env_extra: Optional[Dict[str, str]] = None,
    log_dir: Optional[Path] = None,
    token: Optional[str] = None,
    only: Optional[List[str]] = None,
) -> Dict[str, subprocess.Popen]:
    """Start the processes (all, or those named in `only`); returns them by name (stop them with stop())."""
    env = run_env(child_env(env_extra), token)
    s = _prepare(env)
    procs: Dict[str, subprocess.Popen] = {}
    for name, cmd in commands(s, env["SV_API_TOKEN"], settings.protection(env)).items():
        if only and name not in only:
            continue
        out = open(log_dir / f"{name}.log", "ab") if log_dir else None
        procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True
        )
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


def exec_one(name: str) -> None:
    """Replace this process with one of the servers (compose, Helm: one process per container)."""
    env = child_env()
    s = _prepare(env)
    if name == "rasa" and not s.api_token:  # the deploy files pass it from a secret
        raise SystemExit("the Rasa HTTP API needs a token (SV_API_TOKEN)")
    # only Rasa's command line carries the token: the others get a throwaway one they never see
    cmd = commands(s, s.api_token or secrets.token_hex(24), settings.protection(env))[name]
    os.chdir(ROOT)
    os.execve(cmd[0], cmd, env)


def run_all() -> int:
    """`make run`: every process on this machine, a banner when Rasa answers, Ctrl-C stops them all."""
    s = settings.load()
    given_token = s.api_token
    token = given_token or secrets.token_hex(24)
    started = time.monotonic()
    rest_note = "  (header Authorization: Bearer $SV_REST_TOKEN)" if settings.protection().rest_token else ""
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
        print(
            f"""
==> Sportello Vittime is ready ({time.monotonic() - started:.0f} s)
    Chat (REST):      POST {base}/webhooks/rest/webhook   {{"sender": "id", "message": "ciao"}}{rest_note}
    Socket.IO:        {base}/socket.io/
    Rasa HTTP API:    {base}/  (token{" from SV_API_TOKEN" if given_token else " generated for this run"}: {token})
    Action server:    http://{s.host}:{s.actions_port}/health
    Widget (iframe):  http://{s.host}:{s.web_port}/widget/   demo site embedding it: http://{s.host}:{settings.load_widget().demo_port}/
    Operator console: http://{s.host}:{s.console_port}/  (create an operator: python -m assistant.console create-operator NAME)
    Retention purge:  every {s.purge_interval_hours} h, {s.retention_days} days (python -m rasa_addons.retention purge)
    Tracker store:    {s.tracker_url}
    Press Ctrl-C to stop.
""",
            flush=True,
        )
        while all(p.poll() is None for p in procs.values()):
            time.sleep(1)
        print("error: a process stopped unexpectedly", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n==> stopping...", flush=True)
        return 0
    finally:
        stop(procs)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.serve", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("process", choices=[*PROCESSES, "all"])
    args = parser.parse_args(argv)
    if args.process == "all":
        return run_all()
    exec_one(args.process)
    return 1  # not reached: exec replaced this process


if __name__ == "__main__":
    sys.exit(main())
