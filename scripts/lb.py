"""The production set-up on loopback: one action server and Rasa replicas, behind Debian's nginx
configured from `deploy/nginx.conf` (the deployed file, its `server rasa:5005` lines replaced by the
replicas' ports). Used by the replicas test and by `make bench`, so both run the configuration that
is deployed."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import run

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"
SERVER_LINE = re.compile(r"^(\s*)server rasa:5005(.*);$", re.M)


def nginx_conf(tmp: Path, listen: int, replicas: List[int]) -> Path:
    deployed = (ROOT / "deploy" / "nginx.conf").read_text()
    if len(SERVER_LINE.findall(deployed)) != 2:
        raise ValueError("deploy/nginx.conf: one 'server rasa:5005' line per upstream expected")
    body = SERVER_LINE.sub(lambda m: "\n".join(f"{m.group(1)}server 127.0.0.1:{p}{m.group(2)};" for p in replicas),
                           deployed)
    body = body.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    temp = "\n".join(f"    {kind}_temp_path {tmp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
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
    """nginx as a foreground child process (stop it with scripts/run.py stop())."""
    if not Path(NGINX).exists():
        raise SystemExit(f"{NGINX} not found: bash scripts/debian_tool.sh {NGINX} nginx-light")
    conf = nginx_conf(tmp, listen, replicas)
    return subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp)], stdout=open(tmp / "nginx-out.log", "ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def start_replicas(env: Dict[str, str], tmp: Path, token: str,
                   replicas: int) -> Tuple[Dict[str, subprocess.Popen], List[int], int]:
    """The action server (on env's SV_ACTIONS_PORT), `replicas` Rasa servers on free ports (logs in
    tmp/rasaN/), and nginx in front when there is more than one. Returns the processes (stop them
    with run.stop()), the replicas' ports and the port that clients use."""
    procs = run.start(env_extra=env, log_dir=tmp, token=token, only=["actions"])
    ports = [run.free_port() for _ in range(replicas)]
    for n, port in enumerate(ports):
        (tmp / f"rasa{n}").mkdir()
        procs[f"rasa{n}"] = run.start(env_extra={**env, "SV_RASA_PORT": str(port)}, log_dir=tmp / f"rasa{n}",
                                      token=token, only=["rasa"])["rasa"]
    if replicas == 1:
        return procs, ports, ports[0]
    front = run.free_port()
    procs["nginx"] = start_nginx(tmp, front, ports)
    return procs, ports, front


def wait_ready(procs: Dict[str, subprocess.Popen], ports: List[int], actions_port: str, front: int) -> bool:
    alive = list(procs.values())
    return all(run.wait_ready(f"http://127.0.0.1:{p}/webhooks/rest/", 300, alive) for p in ports) and \
        run.wait_ready(f"http://127.0.0.1:{actions_port}/health", 60, alive) and \
        run.wait_ready(f"http://127.0.0.1:{front}/webhooks/rest/", 30, alive)
