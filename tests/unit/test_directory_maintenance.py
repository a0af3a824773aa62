"""Directory maintenance on a real SQLite database: edits with their source, the audit log, CSV import
with file:line errors and a diff preview, staleness, reachability, coverage before distance, the
version check that lets another process see an edit, and the seed never overwriting edits."""

import csv
import datetime as dt
import io
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import select

from assistant import db, triage
from assistant.directory import edit, loader
from assistant.directory import models as m
from assistant.directory.nearest import directory, is_stale
from assistant.handoff import models as hm
from assistant.handoff import service as handoff
from assistant.settings import PROJECT_ROOT

CASALE, BRA, NOVARA = "006039", "004029", "003106"
TODAY = dt.date.today().isoformat()
CENTRI = "centri_antiviolenza_piemonte.csv"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeded") / "directory.db"
    loader.load(f"sqlite:///{path}")
    handoff.ensure_schema(f"sqlite:///{path}")
    return path


@pytest.fixture
def url(seeded, tmp_path, monkeypatch):
    """A fresh copy of the seeded database for each test."""
    monkeypatch.setenv("SV_DIRECTORY_CHECK_SECONDS", "0")  # every look-up reads the version row
    shutil.copy(seeded, tmp_path / "directory.db")
    return f"sqlite:///{tmp_path}/directory.db"


def audit_rows(url, action):
    with db.session_scope(url) as session:
        return [
            (a.operator, a.target, a.reason)
            for a in session.execute(select(hm.AuditEntry).where(hm.AuditEntry.action == action)).scalars()
        ]


def service(url, service_id):
    with db.session_scope(url) as session:
        s = session.get(m.Service, service_id)
        session.expunge(s)
        return s


def test_an_edit_needs_its_source_and_date_and_is_audited(url):
    for fonte, data in (
        ("", TODAY),
        ("telefonata del 25/11", ""),
        ("telefonata del 25/11", "domani"),
        ("telefonata del 25/11", "2999-01-01"),
    ):
        with pytest.raises(edit.EditError):
            edit.update("CAV034", {"telefoni": "0142 000001"}, fonte, data, "sup", url)
    assert service(url, "CAV034").telefoni is None
    before = service(url, "CAV034").fonte_url
    changes = edit.update("CAV034", {"telefoni": "0142 000001"}, "telefonata del 25/11", TODAY, "sup", url)
    assert changes == [("telefoni", None, "0142 000001")]
    after = service(url, "CAV034")
    assert after.fonte_url == f"telefonata del 25/11 | {before}"  # the new source first, the old ones kept
    assert after.fonte_data.startswith(TODAY) and after.fonte_data_recente == TODAY
    assert after.aggiornato_da == "sup"
    [(who, target, reason)] = audit_rows(url, "elenco_modifica")
    assert who == "sup" and target == "servizio CAV034" and "0142 000001" in reason and "telefonata" in reason
    assert edit.update("CAV034", {"telefoni": "0142 000001"}, "telefonata del 25/11", TODAY, "sup", url) == []


def test_a_bad_phone_or_comune_is_refused(url):
    with pytest.raises(edit.EditError) as err:
        edit.update("CAV034", {"telefoni": "chiamare", "istat_comune": "999999"}, "https://x.it", TODAY, "sup", url)
    assert len(err.value.errors) == 2


def test_a_shelter_refuses_a_street_address_everywhere(url, tmp_path):
    shelter = next(s["id"] for s in edit.list_services(url, tipo=m.CASA_RIFUGIO))
    with pytest.raises(edit.EditError) as err:
        edit.update(shelter, {"indirizzo": "via Roma 1"}, "telefonata del 25/11", TODAY, "sup", url)
    assert "casa rifugio" in err.value.errors[0]
    with pytest.raises(edit.EditError):
        edit.add("casa_rifugio", {"nome": "Casa X", "indirizzo": "corso Francia 3"}, "https://x.it", TODAY, "sup", url)
    text = edit.export_csv(CENTRI, url)
    rows = list(csv.DictReader(io.StringIO(text)))
    line = next(i for i, r in enumerate(rows, start=2) if r["id"] == shelter)
    bad = text.replace(f"{shelter},casa_rifugio,", f"{shelter},casa_rifugio,", 1)
    bad_rows = bad.splitlines()
    bad_rows[line - 1] = bad_rows[line - 1].replace(",segreto,", ",via Roma 1,", 1)
    preview = edit.preview_import(CENTRI, "\n".join(bad_rows) + "\n", url)
    assert any(e.startswith(f"{CENTRI}:{line}:") and "casa rifugio" in e for e in preview.errors)
    assert service(url, shelter).indirizzo is None


def _export_rows(url):
    return list(csv.DictReader(io.StringIO(edit.export_csv(CENTRI, url))))


def _write(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_an_import_with_errors_is_refused_with_file_line_and_changes_nothing(url):
    rows = _export_rows(url)
    rows[2]["telefono"] = "telefono?"  # line 4
    rows[5]["istat_comune"] = "999999"  # line 7
    rows[7]["telefono"] = "0142 999999"  # line 9: a change without a new source
    text = _write(rows)
    before = edit.export_csv(CENTRI, url)
    preview = edit.preview_import("centri_modificati.csv", text, url)
    assert any(e.startswith("centri_modificati.csv:4:") and "telefono" in e for e in preview.errors), preview.errors
    assert any(e.startswith("centri_modificati.csv:7:") and "999999" in e for e in preview.errors)
    assert any(e.startswith("centri_modificati.csv:9:") and "fonte_url" in e for e in preview.errors)
    with pytest.raises(edit.EditError):
        edit.apply_import("centri_modificati.csv", text, preview.digest, "sup", url)
    assert edit.export_csv(CENTRI, url) == before
    assert audit_rows(url, "elenco_import") == []


def test_a_quoted_multiline_field_keeps_line_numbers_right(url):
    rows = _export_rows(url)
    rows[0]["note"] = "prima riga\nseconda riga"
    rows[1]["telefono"] = "sbagliato"
    preview = edit.preview_import("f.csv", _write(rows), url)
    assert any(e.startswith("f.csv:4:") for e in preview.errors), preview.errors  # row 2 starts on line 4


def test_the_diff_preview_is_exactly_what_is_applied(url):
    rows = _export_rows(url)
    by_id = {r["id"]: r for r in rows}
    by_id["CAV034"].update(
        telefono="0142 000002",
        fonte_url="telefonata del 24/11 | " + by_id["CAV034"]["fonte_url"],
        fonte_data="2026-11-24 | " + by_id["CAV034"]["fonte_data"],
    )
    by_id["CAV033"].update(stato="chiuso", motivo_chiusura="sede chiusa, telefonata del 24/11")
    new = dict(
        rows[0],
        id="CAV900",
        nome="Sportello di prova",
        tipo="sportello",
        telefono="011 000003",
        fonte_url="https://example.org/sportello",
        fonte_data="2026-11-20",
        note="",
        stato="attivo",
        motivo_chiusura="",
        verificato_il="",
        verificato_da="",
    )
    text = _write(rows + [new])
    preview = edit.preview_import("centri.csv", text, url)
    assert not preview.errors, preview.errors
    assert {c["id"]: c["azione"] for c in preview.changes} == {
        "CAV033": "modifica",
        "CAV034": "modifica",
        "CAV900": "nuova",
    }
    applied = edit.apply_import("centri.csv", text, preview.digest, "sup", url)
    assert applied.changes == preview.changes
    for change in preview.changes:
        s = service(url, change["id"])
        for key, _old, new_value in change["campi"]:
            assert edit._value(s, key) == new_value, (change["id"], key)
    assert service(url, "CAV033").chiuso and service(url, "CAV033").chiuso_da == "sup"
    assert edit.preview_import("centri.csv", text, url).changes == []  # nothing left to apply
    assert len(audit_rows(url, "elenco_import")) == 3
    assert "CAV033" not in {s["id"] for s in directory(url).nearest("006003", m.CENTRO_ANTIVIOLENZA, limit=10)}


def test_apply_refuses_when_the_directory_changed_after_the_preview(url):
    rows = _export_rows(url)
    rows[0]["orari"] = "lunedì 9-12"
    rows[0]["fonte_url"] = "telefonata del 24/11 | " + rows[0]["fonte_url"]
    text = _write(rows)
    preview = edit.preview_import(CENTRI, text, url)
    edit.update(rows[0]["id"], {"orari": "martedì 9-12"}, "telefonata del 25/11", TODAY, "altro", url)
    with pytest.raises(edit.EditError) as err:
        edit.apply_import(CENTRI, text, preview.digest, "sup", url)
    assert "anteprima" in err.value.errors[0]
    assert service(url, rows[0]["id"]).orari == "martedì 9-12"


def test_export_round_trips_every_file(url):
    for kind in edit.SEED_HEADERS:
        preview = edit.preview_import(kind, edit.export_csv(kind, url), url)
        assert not preview.errors and preview.changes == [], kind
    exported = list(csv.DictReader(io.StringIO(edit.export_csv("enti_gestori_comuni.csv", url))))
    with open(loader.SEED_DIR / "enti_gestori_comuni.csv", encoding="utf-8") as handle:
        seed = list(csv.DictReader(handle))
    key = lambda r: (r["istat_comune"], r["ente_gestore_id"], r["fonte_url"], r["fonte_data"])  # noqa: E731
    assert sorted(map(key, exported)) == sorted(map(key, seed))


def _card_for(url, istat, cosa="violenza_domestica"):
    return "\n".join(triage.reply(istat, cosa, "io"))


def test_a_stale_entry_gets_the_warning_and_the_line_first(url, monkeypatch):
    monkeypatch.setattr(triage, "directory", lambda: directory(url))
    old = service(url, "CAV034")
    assert old.fonte_data_recente < "2020" and is_stale(old)
    text = _card_for(url, CASALE)
    assert "potrebbero non essere aggiornati" in text
    assert text.index("chiama prima il numero 1522") < text.index("Centro Antiviolenza me.dea Casale Monferrato")
    assert "dati del 21/03/2018" in text
    edit.verify("CAV034", "sup", url)
    card = next(m_ for m_ in triage.reply(CASALE, "violenza_domestica", "io") if "me.dea Casale" in m_)
    me_dea = card.split("\n\n")[0]
    assert f"verificato il {dt.date.today():%d/%m/%Y}" in me_dea and "potrebbero" not in me_dea
    [(who, target, _)] = audit_rows(url, "elenco_verificato")
    assert who == "sup" and target == "servizio CAV034"


def test_stale_months_is_a_setting(url, monkeypatch):
    s = service(url, "CAV034")
    monkeypatch.setenv("SV_STALE_MONTHS", "1200")
    assert not is_stale(s)
    monkeypatch.setenv("SV_STALE_MONTHS", "24")
    assert is_stale(s)
    s.fonte_data_recente = None
    monkeypatch.setenv("SV_STALE_MONTHS", "1200")
    assert is_stale(s)  # no readable date: stale


def test_no_card_without_a_way_to_reach_it(url, monkeypatch):
    monkeypatch.setattr(triage, "directory", lambda: directory(url))
    d = directory(url)
    for istat in d.comuni:
        for tipo in (m.CENTRO_ANTIVIOLENZA, m.SPORTELLO, m.SUPPORTO_VITTIME, m.ENTE_GESTORE):
            for found in d.nearest(istat, tipo, limit=3):
                card = triage.render_service(found, d.comuni[istat].nome, "1522")
                if not found["reachable"]:
                    assert "1522" in card and "Telefono" not in card and "Indirizzo" not in card
                else:
                    assert any(
                        x in card
                        for x in ("Telefono: 0", "Telefono: 3", "Telefono: 8", "Email:", "Sito:", "Indirizzo:")
                    ), card
    # the only centre of Casale loses every contact: the answer names the line instead of an empty card
    edit.update("CAV034", {"indirizzo": ""}, "telefonata del 25/11", TODAY, "sup", url)
    edit.set_coverage("CAV034", "Casale Monferrato", "telefonata del 25/11", TODAY, "sup", url)
    text = _card_for(url, CASALE)
    assert "Centro Antiviolenza me.dea Casale Monferrato: non ho un recapito da darti. Chiama il numero 1522" in text
    assert "via Magnocavallo" not in text


def test_coverage_wins_over_distance(url, monkeypatch):
    monkeypatch.setattr(triage, "directory", lambda: directory(url))
    d = directory(url)
    by_distance = d.nearest(BRA, m.CENTRO_ANTIVIOLENZA, limit=1)[0]
    assert by_distance["copertura"] == "distanza"
    farther = next(
        s for s in edit.list_services(url, tipo=m.CENTRO_ANTIVIOLENZA) if s["reachable"] and s["comune"] == "Torino"
    )
    edit.set_coverage(farther["id"], "Bra\nCherasco", "https://example.org/convenzione", TODAY, "sup", url)
    found = directory(url).nearest(BRA, m.CENTRO_ANTIVIOLENZA, limit=2)
    assert [s["id"] for s in found] == [farther["id"]]
    assert found[0]["copertura"] == "comune" and found[0]["distance_km"] > by_distance["distance_km"]
    text = _card_for(url, BRA)
    assert "serve il Comune di Bra" in text and "il più vicino" not in text
    [(_, _, reason)] = audit_rows(url, "elenco_copertura")
    assert "Bra" in reason and "Cherasco" in reason


def test_il_piu_vicino_only_when_distance_decided_and_it_is_the_nearest(url, monkeypatch):
    monkeypatch.setattr(triage, "directory", lambda: directory(url))
    found = directory(url).nearest(CASALE, m.CENTRO_ANTIVIOLENZA, limit=2)
    assert found[0].get("piu_vicino") and not found[1].get("piu_vicino")
    assert "il più vicino" in _card_for(url, CASALE)


def test_no_social_service_guess_for_an_unmapped_comune(url, monkeypatch):
    monkeypatch.setattr(triage, "directory", lambda: directory(url))
    assert directory(url).nearest(NOVARA, m.ENTE_GESTORE) == []
    social = next(x for x in triage.reply(NOVARA, "violenza_domestica", "io") if x.startswith("Servizi sociali"))
    assert "ufficio servizi sociali del tuo Comune" in social and "Consorzio" not in social


def test_a_closed_entry_is_kept_but_never_shown(url):
    assert any(s["id"] == "CAV034" for s in directory(url).nearest(CASALE, m.CENTRO_ANTIVIOLENZA))
    with pytest.raises(edit.EditError):
        edit.close("CAV034", "", "sup", url)
    edit.close("CAV034", "servizio trasferito, telefonata del 25/11", "sup", url)
    assert all(s["id"] != "CAV034" for s in directory(url).nearest(CASALE, m.CENTRO_ANTIVIOLENZA, limit=50))
    exported = {r["id"]: r for r in _export_rows(url)}
    assert exported["CAV034"]["stato"] == "chiuso" and "trasferito" in exported["CAV034"]["motivo_chiusura"]
    edit.reopen("CAV034", "sup", url)
    assert any(s["id"] == "CAV034" for s in directory(url).nearest(CASALE, m.CENTRO_ANTIVIOLENZA))
    with pytest.raises(edit.EditError):
        edit.close("N-1522", "non serve più", "sup", url)  # 1522 and 112 are always given
    assert directory(url).national("1522")


def test_seed_rows_marked_as_ceased_are_loaded_closed(url):
    assert service(url, "SS025").chiuso  # CISA Rivoli, merged into Ovest Solidale in 2020
    assert not service(url, "SS018").chiuso


def test_make_run_never_overwrites_edits(tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    shutil.copytree(loader.SEED_DIR, seed)
    url = f"sqlite:///{tmp_path}/run.db"
    assert loader.load(url, seed_dir=seed, if_changed=True)["services"] > 100  # first set-up
    assert loader.load(url, seed_dir=seed, if_changed=True) == {}
    path = seed / CENTRI
    path.write_text(
        path.read_text(encoding="utf-8").replace("via Magnocavallo 11", "via Magnocavallo 13"), encoding="utf-8"
    )
    assert loader.load(url, seed_dir=seed, if_changed=True)["services"] > 100  # nobody edited yet: reloaded
    handoff.ensure_schema(url)
    edit.update("CAV034", {"telefoni": "0142 000004"}, "telefonata del 25/11", TODAY, "sup", url)
    path.write_text(
        path.read_text(encoding="utf-8").replace("via Magnocavallo 13", "via Magnocavallo 15"), encoding="utf-8"
    )
    assert loader.load(url, seed_dir=seed, if_changed=True) == {"kept_edits": 1}
    kept = service(url, "CAV034")
    assert kept.telefoni == "0142 000004" and kept.indirizzo == "via Magnocavallo 13"


def test_an_edit_in_another_process_is_seen_without_restart(url):
    assert directory(url).nearest(CASALE, m.CENTRO_ANTIVIOLENZA)[0]["telefoni"] == []
    code = (
        "from assistant.directory import edit; from assistant.handoff import service; "
        f"service.ensure_schema({url!r}); "
        f"edit.update('CAV034', {{'telefoni': '0142 000005'}}, 'telefonata del 25/11', '{TODAY}', 'sup', {url!r})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)
    assert directory(url).nearest(CASALE, m.CENTRO_ANTIVIOLENZA)[0]["telefoni"] == ["0142 000005"]


def test_an_older_database_gets_the_new_columns(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    engine = db.engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE services (id VARCHAR(40) PRIMARY KEY, tipo VARCHAR(30) NOT NULL, "
            "tipo_fonte VARCHAR(60), attivo BOOLEAN NOT NULL, nome TEXT NOT NULL, ente TEXT, "
            "istat_comune VARCHAR(6), provincia VARCHAR(2), indirizzo TEXT, telefoni TEXT, "
            "telefono_h24 TEXT, numero_verde TEXT, email TEXT, sito TEXT, orari TEXT, note TEXT, "
            "fonte_url TEXT NOT NULL, fonte_data TEXT NOT NULL, data_fonte VARCHAR(10))"
        )
    assert loader.load(url)["services"] > 100
    assert service(url, "SS025").chiuso_motivo


def test_add_gives_the_next_id_and_needs_a_name(url):
    with pytest.raises(edit.EditError):
        edit.add("sportello", {"telefoni": "011 000006"}, "https://example.org", TODAY, "sup", url)
    new_id = edit.add(
        "sportello",
        {"nome": "Sportello nuovo", "istat_comune": BRA, "telefoni": "0172 000007"},
        "https://example.org/nuovo",
        TODAY,
        "sup",
        url,
    )
    assert new_id == "CAV053"
    s = service(url, new_id)
    assert s.provincia == "CN" and s.tipo == m.SPORTELLO and s.fonte_data == TODAY
    assert audit_rows(url, "elenco_aggiunta")[0][1] == f"servizio {new_id}"
