"""The seed loader's parsers, one per file: a bad row is reported as "file:line: reason", a file without
a required column at line 1, and the seed's rows are read as the row models declare."""

import csv
import shutil

import pytest

from assistant.directory import loader
from assistant.directory import models as m

# file, column spoiled in its first row (line 2), value written there, words of the expected reason
BAD_ROWS = [
    ("comuni_piemonte.csv", "lat", "nord", "le coordinate non sono numeri"),
    ("comuni_italia.csv", "regione", "", "manca il codice ISTAT o la regione"),
    ("centri_antiviolenza_piemonte.csv", "tipo", "bar", "tipo 'bar' sconosciuto"),
    ("servizi_sociali_piemonte.csv", "fonte_url", "", "fonte_url è vuoto"),
    ("enti_gestori_comuni.csv", "ente_gestore_id", "SS999", "'SS999' non è in servizi_sociali_piemonte.csv"),
    ("servizi_vittime_piemonte.csv", "telefono", "telefono?", "telefono 'telefono?' non è un numero di telefono"),
    ("numeri_nazionali.csv", "fonte_data", "ieri", "fonte_data 'ieri' non contiene una data"),
]


def _rewrite(path, change):
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    header, rows = change(header, rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def seed(tmp_path):
    shutil.copytree(loader.SEED_DIR, tmp_path / "seed")
    return tmp_path / "seed"


def _errors(seed_dir):
    with pytest.raises(loader.SeedError) as err:
        loader.read_seed(seed_dir)
    return err.value.errors


@pytest.mark.parametrize("name,column,value,reason", BAD_ROWS, ids=[row[0] for row in BAD_ROWS])
def test_each_parser_reports_a_bad_row_with_file_and_line(seed, name, column, value, reason):
    def spoil(header, rows):
        rows[0][column] = value
        return header, rows

    _rewrite(seed / name, spoil)
    errors = _errors(seed)
    assert any(e.startswith(f"{name}:2: ") and reason in e for e in errors), errors


MISSING_COLUMNS = [
    ("comuni_piemonte.csv", "cap"),
    ("centri_antiviolenza_piemonte.csv", "provincia"),
    ("servizi_sociali_piemonte.csv", "istat_sede"),
    ("numeri_nazionali.csv", "numero"),
]


@pytest.mark.parametrize("name,column", MISSING_COLUMNS)
def test_a_missing_required_column_is_reported_at_line_1(seed, name, column):
    _rewrite(seed / name, lambda header, rows: ([h for h in header if h != column], rows))
    assert f"{name}:1: mancano le colonne {[column]!r}" in _errors(seed)


def test_row_models_declare_the_required_columns():
    assert loader.CentroRow.required() == ["fonte_url", "fonte_data", "id", "tipo", "nome", "istat_comune", "provincia"]
    assert "provincia" not in loader.VittimeRow.required()  # optional in the victim services' file
    assert loader.EnteComuneRow.required() == [
        "fonte_url",
        "fonte_data",
        "istat_comune",
        "ente_gestore",
        "ente_gestore_id",
    ]


def test_the_seed_reads_into_services_with_their_newest_source_date():
    seed = loader.read_seed()
    by_id = {s.id: s for s in seed.services}
    assert {s.tipo for s in seed.services} == set(m.SERVICE_TYPES)
    assert all(s.fonte_data_recente == loader.newest_date(s.fonte_data) for s in seed.services)
    assert all(s.indirizzo is None for s in seed.services if s.tipo == m.CASA_RIFUGIO)
    assert all(sid.startswith("N-") for sid, s in by_id.items() if s.tipo == m.LINEA_NAZIONALE)
