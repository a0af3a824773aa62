"""The production set-up on loopback: one action server and Rasa replicas, behind Debian's nginx
configured from `deploy/nginx.conf.template` (its internal configuration: the public one plus REST,
the `server @RASA@` lines replaced by the replicas' ports). Used by the replicas test and by
`make bench`, so both run the configuration that is deployed.

    python scripts/lb.py render     # writes deploy/nginx.public.conf from the template
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from assistant import serve

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
PUBLIC_CONF = ROOT / "deploy" / "nginx.public.conf"
PROFILES = ("public", "internal")
# Values of the deployed configuration (docker-compose: "rasa" resolves to every replica).
DEPLOYED = {
    "RASA": ["rasa:5005"],
    "LISTEN": "80",
    "ACCESS_LOG": "/var/log/nginx/access.log",
    "ERROR_LOG": "/var/log/nginx/error.log",
    "WEB": "web:8080",
}


def render(profile: str, rasa: Optional[List[str]] = None, **values: str) -> str:
    """The public or internal nginx configuration from the one template; `values` override the
    deployed LISTEN, ACCESS_LOG, ERROR_LOG and WEB (the assistant's web server, serving the widget's files)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}")
    values = {name: values.get(name) or value for name, value in DEPLOYED.items() if name != "RASA"}
    out, keep = [], True
    for line in TEMPLATE.read_text().splitlines():
        marker = line.strip()
        if marker in ("#@public", "#@internal"):
            keep = marker == f"#@{profile}"
            continue
        if marker == "#@end":
            keep = True
            continue
        if not keep:
            continue
        if "@RASA@" in line:
            out.extend(line.replace("@RASA@", server) for server in (rasa or DEPLOYED["RASA"]))
            continue
        for name, value in values.items():
            line = line.replace(f"@{name}@", value)
        out.append(line)
    header = f"# GENERATED from deploy/nginx.conf.template ({profile}) by `python scripts/lb.py render`: edit the template.\n"
    return header + "\n".join(out) + "\n"


def nginx_conf(tmp: Path, listen: int, replicas: List[int]) -> Path:
    body = render(
        "internal", rasa=[f"127.0.0.1:{p}" for p in replicas], LISTEN=f"127.0.0.1:{listen}", WEB="127.0.0.1:9"
    )  # the load runs never ask for the widget's files
    temp = "\n".join(
        f"    {kind}_temp_path {tmp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(f"""worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$msec $request_method $uri $status $upstream_addr $request_time';
    access_log {tmp}/nginx-access.log upstream;
{temp}
{body}
}}
""")
    return conf


def start_nginx(tmp: Path, listen: int, replicas: List[int]) -> subprocess.Popen:
    """nginx as a foreground child process (stop it with assistant.serve.stop())."""
    if not Path(NGINX).exists():
        raise SystemExit(f"{NGINX} not found: bash scripts/debian_tool.sh {NGINX} nginx-light")
    conf = nginx_conf(tmp, listen, replicas)
    return subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(tmp)],
        stdout=open(tmp / "nginx-out.log", "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_replicas(
    env: Dict[str, str], tmp: Path, token: str, replicas: int
) -> Tuple[Dict[str, subprocess.Popen], List[int], int]:
    """The action server (on env's SV_ACTIONS_PORT), `replicas` Rasa servers on free ports (logs in
    tmp/rasaN/), and nginx in front when there is more than one. Returns the processes (stop them
    with serve.stop()), the replicas' ports and the port that clients use.

    One shared action-server secret for every process; the per-conversation limit is off unless
    `env` sets it, since these are load generators (the REST channel is internal)."""
    env = {"SV_ACTIONS_SECRET": secrets.token_urlsafe(32), "SV_RATE_PER_CONVERSATION": "0", **env}
    procs = serve.start(env_extra=env, log_dir=tmp, token=token, only=["actions"])
    ports = [serve.free_port() for _ in range(replicas)]
    for n, port in enumerate(ports):
        (tmp / f"rasa{n}").mkdir()
        procs[f"rasa{n}"] = serve.start(
            env_extra={**env, "SV_RASA_PORT": str(port)}, log_dir=tmp / f"rasa{n}", token=token, only=["rasa"]
        )["rasa"]
    if replicas == 1:
        return procs, ports, ports[0]
    front = serve.free_port()
    procs["nginx"] = start_nginx(tmp, front, ports)
    return procs, ports, front


def wait_ready(procs: Dict[str, subprocess.Popen], ports: List[int], actions_port: str, front: int) -> bool:
    alive = list(procs.values())
    return (
        all(serve.wait_ready(f"http://127.0.0.1:{p}/webhooks/rest/", 300, alive) for p in ports)
        and serve.wait_ready(f"http://127.0.0.1:{actions_port}/health", 60, alive)
        and serve.wait_ready(f"http://127.0.0.1:{front}/webhooks/rest/", 30, alive)
    )


if __name__ == "__main__":
    if sys.argv[1:] != ["render"]:
        print("usage: python scripts/lb.py render", file=sys.stderr)
        sys.exit(2)
    PUBLIC_CONF.write_text(render("public"))
    print(f"wrote {PUBLIC_CONF.relative_to(ROOT)}")
