"""The test services themselves (scripts/services.py): the throwaway PostgreSQL and Redis are started
here on every run, even where the usual servers answer, so the path a fresh machine takes is tested."""

import shutil
import tempfile
from pathlib import Path

import psycopg2
import pytest
import redis

from scripts import services


@pytest.fixture(scope="module")
def throwaway():
    pg, rd = services.ThrowawayPostgres().start(), services.ThrowawayRedis().start()
    yield pg, rd
    pg.stop()
    rd.stop()


def test_throwaway_servers_answer_on_their_own_ports(throwaway):
    pg, rd = throwaway
    assert pg.url.endswith("/test") and pg.port not in (0, 5432) and rd.port not in (0, 6379)
    conn = psycopg2.connect(pg.url)
    conn.autocommit = True
    with conn.cursor() as cur:  # the tests create databases of their own beside `test`
        cur.execute("CREATE DATABASE sv_services_check")
        cur.execute("SELECT current_user, current_database()")
        assert cur.fetchone() == ("postgres", "test")
        cur.execute("DROP DATABASE sv_services_check")
    conn.close()
    client = redis.Redis.from_url(services.redis_url_with_db(rd.url, 5))
    client.set("sv:check", "1", ex=60)
    assert client.get("sv:check") == b"1"
    client.close()


def test_a_reachable_server_is_used_and_an_unreachable_setting_is_an_error(throwaway):
    pg, rd = throwaway
    env = {"SV_TEST_PG_URL": pg.url, "SV_TEST_REDIS_URL": rd.url}
    with services.postgres(env) as pg_url, services.redis(env) as redis_url:
        assert (pg_url, redis_url) == (pg.url, rd.url)  # no second server started
    dead = f"127.0.0.1:{services.free_port()}"
    with pytest.raises(services.ServiceError, match="SV_TEST_PG_URL"):
        with services.postgres({"SV_TEST_PG_URL": f"postgresql://postgres@{dead}/test"}):
            pass
    with pytest.raises(services.ServiceError, match="SV_TEST_REDIS_URL"):
        with services.redis({"SV_TEST_REDIS_URL": f"redis://{dead}/0"}):
            pass


def test_with_nothing_reachable_throwaway_servers_are_started_then_stopped(monkeypatch):
    """The fresh-machine path: no setting and nothing at the default addresses."""
    parent = Path(tempfile.mkdtemp(prefix="sv-services-test-"))
    parent.chmod(0o755)  # the cluster's user (postgres, when run as root) must reach its directory
    monkeypatch.setattr(tempfile, "tempdir", str(parent))  # the servers' directories go here, and only theirs
    dead = f"127.0.0.1:{services.free_port()}"
    try:
        with (
            services.postgres({}, default=f"postgresql://postgres@{dead}/test") as pg_url,
            services.redis({}, default=f"redis://{dead}/0") as redis_url,
        ):
            assert dead not in pg_url and dead not in redis_url
            assert services.pg_answers(pg_url) and services.redis_answers(redis_url)
            assert sorted(d.name.split("-")[1] for d in parent.iterdir()) == ["pg", "redis"]
        assert not services.pg_answers(pg_url) and not services.redis_answers(redis_url)
        assert list(parent.iterdir()) == []
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_stopping_twice_is_harmless(throwaway):
    pg, rd = services.ThrowawayPostgres(), services.ThrowawayRedis()
    pg.stop()  # never started: atexit may call stop() on a server that failed to start
    rd.stop()


def test_url_helpers():
    assert (
        services.pg_url_with_db("postgresql://u:p@h:5/test?sslmode=disable", "x")
        == "postgresql://u:p@h:5/x?sslmode=disable"
    )
    assert services.redis_url_with_db("redis://h:7/0", 3) == "redis://h:7/3"
    assert services.redis_host_port("redis://h:7/0") == ("h", 7)
    assert services.where("postgresql://u:secret@h:5/test") == "h:5"
