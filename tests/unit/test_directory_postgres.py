"""The directory on a real PostgreSQL server (SV_TEST_PG_URL, default: the local server's `test` db)."""
import os

import pytest
import sqlalchemy as sa

from assistant.directory import FOUND, loader, models as m
from assistant.directory.nearest import directory
from assistant.directory.resolve import resolve

PG_URL = os.environ.get("SV_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def pg_url():
    try:
        with sa.create_engine(PG_URL).connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as err:
        if os.environ.get("CI"):
            raise  # CI machines run PostgreSQL: a failure to connect is a failure
        pytest.skip(f"PostgreSQL not reachable: {err}")
    loader.load(PG_URL)
    return PG_URL


def test_load_validate_and_query_on_postgresql(pg_url):
    counts = loader.counts(pg_url)
    assert counts["comuni"] == 1180 and counts["comuni_italia"] == 7896
    assert resolve("Mondovi", pg_url).status == FOUND
    found = directory(pg_url).nearest("006039", m.CENTRO_ANTIVIOLENZA)
    assert found[0]["comune"] == "Casale Monferrato"
    assert loader.load(pg_url, if_changed=True) == {}  # unchanged seed: nothing reloaded
