import csv
import json
import random
import shutil
import subprocess
import sys
import unicodedata

import pytest
from sqlalchemy import select

from assistant import db
from assistant.directory import AMBIGUOUS, FOUND, OUTSIDE, UNKNOWN, loader
from assistant.directory import models as m
from assistant.directory.nearest import directory, haversine_km
from assistant.directory.resolve import find_in_text, index, resolve
from assistant.settings import PROJECT_ROOT

SEED = PROJECT_ROOT / "data" / "directory"


def _comuni():
    with open(SEED / "comuni_piemonte.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _strip_accents(text):
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def test_seed_loads_completely(db_url):
    counts = loader.counts(db_url)
    assert counts["comuni"] == 1180
    assert counts["comuni_italia"] == 7896
    assert counts["coverage"] >= 307


def test_every_comune_resolves_to_itself_by_name_and_without_accents(db_url):
    wrong = []
    for row in _comuni():
        for text in {row["comune"], _strip_accents(row["comune"]), row["comune"].upper()}:
            result = resolve(text, db_url)
            if result.status != FOUND or result.comune["istat"] != row["istat"]:
                wrong.append((text, result.status, result.comune))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Mondovi", "Mondovì"),
        ("Sant Ambrogio di Torino", "Sant'Ambrogio di Torino"),
        ("sant'ambrogio di torino", "Sant'Ambrogio di Torino"),
        ("Casle Monferato", "Casale Monferrato"),
        ("Moncaleri", "Moncalieri"),
        ("Pinerlo", "Pinerolo"),
        ("Alesandria", "Alessandria"),
        ("Domodosola", "Domodossola"),
        ("Verceli", "Vercelli"),
        ("abito a Bra", "Bra"),
        ("12042", "Bra"),
        ("10064", "Pinerolo"),
        ("Premosello Chiovenda", "Premosello-Chiovenda"),
        ("San Giorgio Canavese", "San Giorgio Canavese"),
        ("S. Giorgio Canavese", "San Giorgio Canavese"),
    ],
)
def test_misspellings_forms_and_caps(db_url, text, expected):
    result = resolve(text, db_url)
    assert result.status == FOUND, result
    assert result.comune["nome"] == expected


@pytest.mark.parametrize(
    "text,names",
    [
        ("Casale", {"Casale Monferrato", "Casale Corte Cerro"}),
        ("San Giorgio", {"San Giorgio Canavese", "San Giorgio Monferrato", "San Giorgio Scarampi"}),
        ("S. Giorgio", {"San Giorgio Canavese", "San Giorgio Monferrato", "San Giorgio Scarampi"}),
        ("10121", {"Torino"}),
    ],
)
def test_ambiguity_offers_the_candidates(db_url, text, names):
    result = resolve(text, db_url)
    if len(names) == 1:
        assert result.status == FOUND and result.comune["nome"] in names
    else:
        assert result.status == AMBIGUOUS
        assert names <= {c["nome"] for c in result.candidates}


def test_shared_cap_asks_which(db_url):
    shared = next(cap for cap, istats in index(db_url).caps.items() if len(set(istats)) > 1)
    result = resolve(shared, db_url)
    assert result.status == AMBIGUOUS and len(result.candidates) > 1


@pytest.mark.parametrize(
    "text,region",
    [("Milano", "Lombardia"), ("abito a Genova", "Liguria"), ("Roma", "Lazio"), ("Bologna", "Emilia-Romagna")],
)
def test_outside_piemonte_names_the_region(db_url, text, region):
    result = resolve(text, db_url)
    assert result.status == OUTSIDE
    assert region in result.region


@pytest.mark.parametrize("text", ["xyzzy", "asdfghjkl", "", "la luna", "99999"])
def test_unknown(db_url, text):
    assert resolve(text, db_url).status == UNKNOWN


def test_misspellings_never_pick_a_wrong_comune(db_url):
    """1,000 random one- or two-letter errors: the answer is the right comune, a question that
    includes it, or 'unknown' -- never another comune."""
    rng = random.Random(42)
    comuni = [c for c in _comuni() if len(c["comune"]) >= 6]
    names = {loader_key(c["comune"]) for c in _comuni()}
    wrong, right = [], 0
    for _ in range(1000):
        row = rng.choice(comuni)
        typo = misspell(row["comune"], rng)
        if loader_key(typo) in names:
            continue  # the typo is itself the name of a comune
        result = resolve(typo, db_url)
        if result.status == FOUND:
            if result.comune["istat"] != row["istat"]:
                wrong.append((typo, row["comune"], result.comune["nome"]))
            else:
                right += 1
    assert not wrong, wrong[:10]
    assert right > 600  # most single typos are still understood


def loader_key(text):
    from assistant.text import normalise

    return normalise(text)


def misspell(name, rng):
    chars = list(name.lower())
    i = rng.randrange(len(chars))
    op = rng.choice(["drop", "swap", "double", "replace"])
    if op == "drop":
        del chars[i]
    elif op == "swap" and i < len(chars) - 1:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    elif op == "double":
        chars.insert(i, chars[i])
    else:
        chars[i] = rng.choice("aeiourlnst")
    return "".join(chars)


def test_find_in_text(db_url):
    found = find_in_text("Il mio compagno mi picchia, abito a Casale Monferrato", db_url)
    assert found and found.comune["nome"] == "Casale Monferrato"
    assert find_in_text("vivo a Torino da due anni", db_url).comune["nome"] == "Torino"
    assert find_in_text("sono in pericolo", db_url) is None
    assert find_in_text("ho paura a stare in casa", db_url) is None


def test_haversine():
    assert haversine_km(45.0703, 7.6869, 45.0703, 7.6869) == 0
    assert 120 < haversine_km(45.0703, 7.6869, 45.4642, 9.19) < 130  # Torino-Milano


def test_nearest_centre_for_casale_is_in_casale(db_url):
    found = directory(db_url).nearest("006039", m.CENTRO_ANTIVIOLENZA, limit=2)
    assert found[0]["comune"] == "Casale Monferrato" and found[0]["distance_km"] == 0
    assert found[1]["distance_km"] > 0
    assert all(s["fonte_data_recente"] and s["reachable"] for s in found)


def test_coverage_first_then_distance(db_url):
    verbania, domodossola = "103072", "103028"
    found = directory(db_url).nearest(verbania, m.CENTRO_ANTIVIOLENZA, limit=3)
    # the VCO centre serves the whole province: it is the answer, no other centre by distance
    assert [s["copertura"] for s in found] == ["provincia"] and "VCO" in found[0]["nome"]
    assert directory(db_url).nearest(domodossola, m.CENTRO_ANTIVIOLENZA)[0]["id"] == found[0]["id"]
    by_distance = directory(db_url).nearest("006039", m.CENTRO_ANTIVIOLENZA, limit=3)
    distances = [s["distance_km"] for s in by_distance]
    assert distances == sorted(distances) and all(s["copertura"] == "distanza" for s in by_distance)


def test_domodossola_gets_the_verbania_desk_not_biella(db_url):
    found = directory(db_url).nearest("103028", m.SUPPORTO_VITTIME, limit=1)
    assert found[0]["comune"] == "Verbania" and found[0]["distance_km"] < 35


def test_social_services_only_from_sourced_coverage(db_url):
    d = directory(db_url)
    cuneo = d.nearest("004078", m.ENTE_GESTORE)
    assert cuneo and cuneo[0]["copertura"] == "comune"
    assert d.nearest("003106", m.ENTE_GESTORE) == []  # Novara: no source, no guess


def test_shelter_address_is_never_stored_or_shown(db_url):
    with db.session_scope(db_url) as session:
        shelters = session.execute(select(m.Service).where(m.Service.tipo == m.CASA_RIFUGIO)).scalars().all()
        assert shelters and all(s.indirizzo is None for s in shelters)
    for istat in ("005005", "001272", "004078"):
        for tipo in m.SERVICE_TYPES:
            for service in directory(db_url).nearest(istat, tipo, limit=50):
                assert service["tipo"] != m.CASA_RIFUGIO or service["indirizzo"] is None


def test_loader_reports_bad_rows_and_loads_nothing(tmp_path):
    seed = tmp_path / "seed"
    shutil.copytree(SEED, seed)
    path = seed / "centri_antiviolenza_piemonte.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace(",001272,", ",999999,", 1).replace("011 01131500", "telefono?")
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path}/bad.db"
    with pytest.raises(loader.SeedError) as err:
        loader.load(url, seed_dir=seed)
    joined = "\n".join(err.value.errors)
    assert "centri_antiviolenza_piemonte.csv:2" in joined
    assert "999999" in joined and "telefono" in joined
    assert loader.loaded_digest(url) is None  # nothing was written


def test_date_and_phone_checks():
    assert loader.newest_date("2023-12-07 | 2018-10-16 | pagina datata 2021-06-16") == "2023-12-07"
    assert loader.newest_date("n.d.") is None and loader.date_is_valid("n.d. (circa 2017)")
    assert not loader.date_is_valid("ieri")
    assert loader.phone_is_valid("011 530666 | 011 5628314")
    assert loader.phone_is_valid("1522") and loader.phone_is_valid("800 91 91 08 (numero verde)")
    assert not loader.phone_is_valid("chiamare in orario d'ufficio")
    assert not loader.phone_is_valid("12")


def test_cli_resolve_and_nearest(db_url):
    env_cmd = [sys.executable, "-m", "assistant.directory", "--db", db_url]
    out = subprocess.run(env_cmd + ["resolve", "Mondovi"], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    data = json.loads(out.stdout)
    assert data["status"] == "found" and data["comune"] == {"istat": "004130", "nome": "Mondovì", "provincia": "CN"}
    out = subprocess.run(
        env_cmd + ["nearest", "Casale Monferrato", "--tipo", "centro_antiviolenza"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["services"][0]["distance_km"] == 0 and data["services"][0]["fonte_data_recente"]
    out = subprocess.run(env_cmd + ["resolve", "Milano"], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert json.loads(out.stdout)["region"] == "Lombardia"


def test_find_in_text_a_word_or_two_after_the_cue(db_url):
    assert find_in_text("anzi, abito invece a Bra", db_url).comune["nome"] == "Bra"
    assert find_in_text("vivo ora a Cuneo", db_url).comune["nome"] == "Cuneo"
    assert find_in_text("abito con mia madre", db_url) is None


# -- comuni anywhere in a sentence ------------------------------------------------------------------------
def _name(text, db_url):
    found = find_in_text(text, db_url)
    if found is None:
        return None
    return found.comune["nome"] if found.status == FOUND else found.candidates[0]["nome"]


@pytest.mark.parametrize(
    "text,name",
    [
        ("mi picchia e lo trovo sotto casa, vivo a Chieri", "Chieri"),
        ("mia madre abita a Novara e il vicino la minaccia", "Novara"),
        ("sto a Bra da mia zia", "Bra"),
        ("sono di Ivrea", "Ivrea"),
        ("abito in provincia di Cuneo, a Fossano", "Fossano"),
        ("a una festa a Alba mi hanno drogata", "Alba"),
        ("Tortona, te l'ho già detto", "Tortona"),
        ("servizi sociali di Vercelli?", "Vercelli"),
        ("cerco un centro antiviolenza a Pinerolo", "Pinerolo"),
        ("mi hanno rubato la borsa a Sale al mercato", "Sale"),
        ("sono di Re, in valle", "Re"),
        ("Cavour, provincia di Torino", "Cavour"),
        ("abito in via Cavour, a Novara", "Novara"),
        ("sono di Omegna ma vivo a Biella", "Biella"),
        ("sono di Vita in Sicilia ma vivo a Torino", "Torino"),
        ("sono di Vita, in Sicilia", "Vita"),
        ("mia cugina vive a Paese, in provincia di Treviso", "Paese"),
        ("sto a Genova ma sono nata a Novara", "Genova"),
        ("abito a Casle Monferato", "Casale Monferrato"),
        ("valenzza. il mio compagno mi ha picchiata", "Valenza"),
    ],
)
def test_comune_anywhere_in_a_sentence(db_url, text, name):
    assert _name(text, db_url) == name


@pytest.mark.parametrize(
    "text",
    [
        "quanto fa 2 più 2",
        "ho un po' di sale in casa",  # a common word without a place cue
        "la mia vita è un inferno",
        "in paese lo sanno tutti",
        "mi piace il viola",
        "in provincia di Torino, il paese non lo dico",  # a province is never the answer
        "quello che scrivo qui resta segreto?",
        "marito qui ora, ha coltello",
        "adesso mi perseguita lei",
        "sto a Prato Nevoso",  # a longer place we do not know: not the comune Prato
    ],
)
def test_no_comune_in_sentences_and_common_words(db_url, text):
    assert find_in_text(text, db_url) is None


def test_every_cue_word_is_tried_not_only_the_first(db_url):
    assert _name("sono stanca, sono sola, abito a Cuneo", db_url) == "Cuneo"


def test_the_piemonte_comune_is_preferred_when_two_are_named(db_url):
    assert _name("ho parenti a Milano e a Novara", db_url) == "Novara"


def test_a_question_or_a_sentence_is_never_resolved_as_a_comune(db_url):
    for text in ("quanto fa 2 più 2", "che ore sono?", "non so cosa fare con lui"):
        assert resolve(text, db_url).status == UNKNOWN


def test_localities_give_coordinates_and_say_they_are_not_a_comune(db_url):
    found = find_in_text("spinetta marengo, lì abitiamo", db_url)
    assert found.status == FOUND and found.via == "locality"
    assert found.locality["nome"] == "Spinetta Marengo" and found.locality["provincia"] == "AL"
    assert found.comune["provincia"] == "AL"  # the nearest comune, for distances only
    intra = find_in_text("sto a Intra da mia madre", db_url)
    assert intra.via == "locality" and intra.locality["nome"] == "Pallanza-Intra-Suna"
    assert resolve("Intra", db_url).via == "locality"  # not the comune Intragna by prefix


def test_localities_file_has_its_source():
    with open(PROJECT_ROOT / "data" / "directory" / "localita_piemonte.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 100
    assert all(
        "GeoNames" in r["fonte"] and r["licenza"] and r["provincia"] in {"TO", "CN", "AL", "AT", "NO", "VC", "BI", "VB"}
        for r in rows
    )
