"""PostgreSQL and Redis for the tests and the benchmark, on any Debian-like machine.

`postgres()` and `redis()` are context managers yielding a URL:
- SV_TEST_PG_URL / SV_TEST_REDIS_URL when set (they must answer: a wrong setting is an error, not a
  silent fallback);
- otherwise the usual local servers (postgresql://postgres@127.0.0.1:5432/test, redis://127.0.0.1:6379/0)
  when they answer;
- otherwise a throwaway server started for the occasion from Debian's `postgresql` and `redis-server`
  packages (installed once with scripts/debian_tool.sh, like nginx and Chromium): a cluster in a
  temporary directory on a free loopback port, superuser `postgres` with trust authentication, stopped
  and deleted on exit. `initdb` refuses to run as root, so as root the cluster runs as the `postgres`
  user that the Debian package creates.

The PostgreSQL URL names a database `test` on a server where the user may create databases (the
tests make their own next to it); the Redis URL names database 0 (tests pick other numbers with
`redis_url_with_db`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, ContextManager, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis as redis_client

from assistant import settings
from assistant.serve import free_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
PG_DATABASE = "test"


class ServiceError(RuntimeError):
    """A server that should answer does not, or a throwaway one cannot be started."""


def pg_answers(url: str, timeout: int = 3) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=timeout).close()
        return True
    except psycopg2.OperationalError:
        return False


def redis_answers(url: str, timeout: float = 3) -> bool:
    client = redis_client.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis_client.exceptions.ConnectionError, redis_client.exceptions.TimeoutError):
        return False
    finally:
        client.close()


def where(url: str) -> str:
    """host:port of a URL, for messages (never its password)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def pg_url_with_db(url: str, database: str) -> str:
    """The same server and user, another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def redis_host_port(url: str) -> Tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def _debian(binary: str, *packages: str) -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "debian_tool.sh"), binary, *packages], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ServiceError(f"cannot install Debian's {' '.join(packages)}: {(done.stderr or done.stdout)[-1000:]}")


def _run(cmd: List[str], cwd: Path, what: str) -> None:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise ServiceError(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}")


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL server's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""

    def found() -> List[Path]:
        dirs = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
        return sorted(dirs, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)

    if not found():
        _debian("/usr/bin/pg_ctlcluster", "postgresql")
    if found():
        return found()[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServiceError("no PostgreSQL server binaries (Debian package `postgresql`)")


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own: temporary directory, free port, stopped and deleted by stop()."""

    def __init__(self) -> None:
        self.dir: Optional[Path] = None
        self.port = 0
        self.url = ""
        self._as_user: List[str] = []
        self._bindir: Optional[Path] = None

    def start(self) -> "ThrowawayPostgres":
        self._bindir = postgres_bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="sv-pg-"))
        atexit.register(self.stop)
        if os.geteuid() == 0:  # initdb and postgres refuse root
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise ServiceError("running as root and there is no `postgres` user to run PostgreSQL") from None
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        _run(
            [
                *self._as_user,
                self._bindir / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            self.dir,
            "initdb",
        )
        self.port = free_port()
        # a throwaway cluster: durability off; enough connections for two Rasa replicas and the tests
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                *self._as_user,
                self._bindir / "pg_ctl",
                "-D",
                data,
                "-l",
                self.dir / "postgres.log",
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            self.dir,
            "pg_ctl start",
        )
        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        conn = psycopg2.connect(admin, connect_timeout=10)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {PG_DATABASE}")
        conn.close()
        self.url = pg_url_with_db(admin, PG_DATABASE)
        return self

    def stop(self) -> None:
        if self.dir is None:
            return
        data = self.dir / "data"
        if self._bindir and (data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as_user, str(self._bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop"],
                cwd=self.dir,
                capture_output=True,
            )
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


class ThrowawayRedis:
    """A Redis server of its own, no persistence, on a free loopback port; stop() ends it."""

    def __init__(self) -> None:
        self.dir: Optional[Path] = None
        self.proc: Optional[subprocess.Popen] = None
        self.port = 0
        self.url = ""

    def start(self) -> "ThrowawayRedis":
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.access(binary, os.X_OK):
            _debian("/usr/bin/redis-server", "redis-server")
            binary = "/usr/bin/redis-server"
        self.dir = Path(tempfile.mkdtemp(prefix="sv-redis-"))
        atexit.register(self.stop)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 30
        while not redis_answers(self.url, timeout=1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log_file = self.dir / "redis.log"
                log = log_file.read_text(errors="replace")[-1500:] if log_file.exists() else ""
                self.stop()
                raise ServiceError(f"redis-server did not start: {log}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


@contextlib.contextmanager
def _service(
    env: Optional[Mapping[str, str]],
    variable: str,
    default: str,
    answers,
    throwaway: Callable[[], "ThrowawayPostgres | ThrowawayRedis"],
) -> Iterator[str]:
    """The URL in `variable` (it must answer), else `default` if it answers, else a throwaway server's."""
    url = settings.service_urls(env).dict()[variable.lower()]
    if url:
        if not answers(url):
            raise ServiceError(f"{variable} is set but nothing answers at {where(url)}")
        yield url
        return
    if answers(default):
        yield default
        return
    server = throwaway().start()
    try:
        yield server.url
    finally:
        server.stop()


def postgres(env: Optional[Mapping[str, str]] = None, default: str = DEFAULT_PG_URL) -> ContextManager[str]:
    """A PostgreSQL URL (database `test`, a user that may create databases) for as long as the block runs."""
    return _service(env, "SV_TEST_PG_URL", default, pg_answers, ThrowawayPostgres)


def redis(env: Optional[Mapping[str, str]] = None, default: str = DEFAULT_REDIS_URL) -> ContextManager[str]:
    """A Redis URL (database 0) for as long as the block runs."""
    return _service(env, "SV_TEST_REDIS_URL", default, redis_answers, ThrowawayRedis)
