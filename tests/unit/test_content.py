"""Content checks: every topic has references and a date, no forbidden legal statements, NLU data
sizes, held-out data kept apart, phone numbers in texts match the directory."""

import csv
import datetime as dt
import re
from pathlib import Path

import yaml

from assistant import content, knowledge
from assistant.settings import PROJECT_ROOT
from assistant.text import normalise

ROOT = PROJECT_ROOT


def _nlu(path: Path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for block in data.get("nlu", []):
        if "intent" in block:
            out.setdefault(block["intent"], []).extend(
                line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")
            )
    return out


def _training():
    merged = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for intent, examples in _nlu(path).items():
            merged.setdefault(intent, []).extend(examples)
    return merged


def test_at_least_fifteen_topics_with_references_and_date():
    kb = knowledge.load()
    assert len(kb.topics) >= 15
    for topic in kb.topics.values():
        assert topic.references and all(r.strip() for r in topic.references), topic.key
        assert isinstance(topic.updated, dt.date) and topic.updated <= dt.date.today()
        assert len(topic.summary.split()) <= 125, (topic.key, len(topic.summary.split()))
        assert 2 <= len(topic.related) <= 3


def test_answers_show_reference_date_and_safety_line():
    kb = knowledge.load()
    for topic in kb.topics.values():
        text = kb.answer(topic)["text"]
        assert topic.references[0] in text and "Norme verificate a " + knowledge.month_year(topic.updated) in text
        assert ("112" in text and "1522" in text) == topic.violence


def test_date_shown_is_the_month_of_the_sources_checked_not_of_the_edit():
    """The fact sheet's update (section 16) is current to February 2026: that is what users read."""
    kb = knowledge.load()
    assert knowledge.month_year(dt.date(2026, 2, 20)) == "febbraio 2026"
    for topic in kb.topics.values():
        assert "Norme verificate a febbraio 2026." in kb.answer(topic)["text"], topic.key
        assert "Norme verificate a febbraio 2026." in kb.more(topic)["text"], topic.key


def _all_text(topic):
    return " ".join([topic.summary, topic.details, " ".join(topic.references)] + [text for _, text in topic.cases])


def test_no_repealed_article_and_no_twelve_month_stalking_term():
    for topic in knowledge.load().topics.values():
        text = _all_text(topic)
        assert "342-bis" not in text and "342 bis" not in text, topic.key
        for sentence in re.split(r"(?<=[.;:])\s", normalise(text)):
            if "stalking" in sentence or "atti persecutori" in sentence:
                assert not re.search(r"\b(12|dodici) mesi\b", sentence) or "violenza sessuale" in sentence, (
                    topic.key,
                    sentence,
                )


def test_stalking_term_is_six_months():
    text = _all_text(knowledge.load().topics["denuncia_querela"])
    assert "6 mesi per lo stalking" in text and "12 mesi per la violenza sessuale" in text


def test_every_topic_intent_has_twenty_distinct_examples():
    training = _training()
    for topic in knowledge.load().topics.values():
        examples = training.get(topic.intent, [])
        assert len(examples) >= 20, (topic.intent, len(examples))
        normalised = [normalise(e) for e in examples]
        assert len(set(normalised)) == len(normalised), topic.intent


def test_held_out_examples_are_separate_and_enough():
    training = {normalise(e) for examples in _training().values() for e in examples}
    heldout = _nlu(ROOT / "tests" / "nlu" / "heldout.yml")
    for topic in knowledge.load().topics.values():
        assert len(heldout.get(topic.intent, [])) >= 5, topic.intent
    overlap = [e for examples in heldout.values() for e in examples if normalise(e) in training]
    assert not overlap, overlap


NEW_TOPICS = ["sostegno_economico", "arresto_differito", "remissione_querela", "orfani_femminicidio", "uomini_vittime"]
MONTHS = {name: number for number, name in enumerate(knowledge.MONTHS, start=1)}


def _topic_text(key):
    return _all_text(knowledge.load().topics[key])


def _sentences(text):
    return re.split(r"(?<=[.;:])\s", text)


def _spoken_texts():
    """Everything the assistant can say: knowledge topics and labels, domain responses, other content."""
    kb = knowledge.load()
    texts = {f"topic {t.key}": _all_text(t) for t in kb.topics.values()}
    texts["labels"] = " ".join(kb.labels.values())
    for path in content.domain_files() + sorted(content.CONTENT_DIR.glob("*.yml")):
        texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return texts


def test_sexual_violence_against_minors_is_prosecuted_d_ufficio():
    for key in ("denuncia_querela", "minori"):
        topic = knowledge.load().topics[key]
        assert any("609-septies" in r for r in topic.references), key
        sentence = next(s for s in re.split(r"(?<=\.)\s", topic.summary) if "d'ufficio" in s)
        assert "18 anni" in sentence and "querela" in sentence, (key, sentence)
        details = normalise(topic.details)
        for offender in ("genitore", "tutore", "istruzione", "custodia", "vive con lui"):
            assert offender in details, (key, offender)
    details = normalise(_topic_text("denuncia_querela"))
    assert "pubblico ufficiale" in details and "incaricato di pubblico servizio" in details
    assert "collegato a un altro reato" in details


def test_no_five_hundred_metres_anywhere_and_one_thousand_in_the_measures():
    for name, text in _spoken_texts().items():
        plain = normalise(text)
        assert not re.search(r"\b500 metri\b|\bcinquecento metri\b", plain), name
    summary = knowledge.load().topics["misure_cautelari"].summary
    assert "sempre di almeno 1.000 metri" in summary
    assert any("1.000 metri" in r for r in knowledge.load().topics["misure_cautelari"].references)


def test_no_request_to_check_law_181_2025_elsewhere():
    for name, text in _spoken_texts().items():
        plain = normalise(text)
        assert "chiedi conferma" not in plain, name
        for sentence in _sentences(text):
            if "181" in sentence:
                assert "conferma" not in sentence and "verifica" not in sentence, (name, sentence)


def test_unar_never_the_only_discrimination_line_and_its_number_never_given():
    for name, text in _spoken_texts().items():
        assert not re.search(r"800 ?90 ?10 ?10", text), name
        if "UNAR" in text:
            plain = normalise(text)
            assert "unar.it" in text and ("servizi sociali" in plain or "rete regionale" in plain), name
    summary = normalise(knowledge.load().topics["discriminazione"].summary)
    assert "servizi sociali" in summary and "rete regionale contro le discriminazioni" in summary


def test_femicide_and_law_181_in_the_topics_it_changed():
    for key in ("codice_rosso", "orfani_femminicidio"):
        assert "577-bis" in _topic_text(key), key
    codice = knowledge.load().topics["codice_rosso"]
    assert "la persona offesa e chi ha presentato la denuncia" in codice.summary
    assert "di persona" in codice.summary and "decreto motivato" in codice.details
    assert "612-bis, quarto comma" in codice.details
    for crime in ("diffusione di immagini sessuali", "tentato femminicidio", "tentato omicidio aggravato"):
        assert crime in codice.summary, crime
    rights = normalise(_topic_text("diritti_offesa"))
    for fact in (
        "ascoltata di persona dal pubblico ministero",
        "familiari stretti",
        "patteggiamento",
        "memorie scritte",
        "braccialetto",
        "consenso scritto",
        "un solo ente",
    ):
        assert normalise(fact) in rights, fact
    assert "parere" not in rights  # the victim is notified and heard: the law gives her no "opinion"
    minors = normalise(knowledge.load().topics["minori"].summary)
    assert "dai 14 anni" in minors and "informazioni e orientamento" in minors and "senza il permesso" in minors


def test_ammonimento_condition_revocation_and_cyberbullying():
    topic = knowledge.load().topics["ammonimento"]
    assert '"gravi ovvero non episodici o commessi in presenza di minorenni"' in topic.summary
    assert "un solo fatto grave" in topic.summary
    revocation = next(s for s in _sentences(topic.details) if "revoca" in s and "3 anni" in s)
    assert "stalking" in revocation and "violenza domestica" in revocation
    assert "percorso di recupero" in topic.details and "non è automatica" in topic.details
    assert "L. 70/2024" in " ".join(topic.references) and "anche fuori da internet" in topic.details


def test_bracelet_not_feasible_means_further_measures_chosen_by_the_judge():
    summary = knowledge.load().topics["misure_cautelari"].summary
    sentence = next(s for s in _sentences(summary) if "non si può" in s)
    assert "anche più gravi" in sentence
    assert "275 c.3.1" in _topic_text("misure_cautelari")


def test_permits_last_one_year_and_the_labour_exploitation_permit_is_there():
    text = _topic_text("permesso_stranieri")
    assert "6 mesi" not in text and "sei mesi" not in text
    assert "18-ter" in text and "durano un anno" in text and "603-bis" in text
    for part in (
        knowledge.load().topics["permesso_stranieri"].summary,
        knowledge.load().topics["permesso_stranieri"].details,
    ):
        assert "centro antiviolenza" in part and "servizi sociali" in part


def test_legal_aid_list_own_income_and_orphans():
    text = normalise(_topic_text("patrocinio"))
    for crime in (
        "maltrattamenti in famiglia",
        "stalking",
        "violenza sessuale",
        "atti sessuali con minorenne",
        "mutilazioni genitali femminili",
        "tentato femminicidio",
        "tentato omicidio",
        "riduzione in schiavitu",
        "prostituzione minorile",
        "pornografia minorile",
        "turismo sessuale",
        "tratta di persone",
        "acquisto e vendita di schiavi",
        "corruzione di minorenne",
        "adescamento di minorenni",
    ):
        assert crime in text, crime
    assert "conta solo il tuo reddito" in text and "art 76 c 4" in text
    for key in ("patrocinio", "orfani_femminicidio"):
        assert "maggiorenni non autosufficienti economicamente" in _topic_text(key), key
    assert "13.659,64" in _topic_text("patrocinio")


def test_indemnity_amounts_as_in_the_decree():
    summary = knowledge.load().topics["risarcimento"].summary
    assert "50.000 euro per omicidio" in summary and "60.000 euro, solo ai figli" in summary
    assert "25.000 euro per violenza sessuale (salvo i casi di minore gravità)" in summary
    assert "violenza sessuale di minore gravità, solo le spese mediche" in summary and "15.000" in summary


def test_no_orders_and_a_first_step():
    for name, text in _spoken_texts().items():
        plain = normalise(text)
        assert not re.search(r"\b(vai di persona|fatti aiutare|rivolgiti)\b", plain), name
    assert "Procura del capoluogo" not in " ".join(_spoken_texts().values())
    summary = knowledge.load().topics["dove_denunciare"].summary
    assert "centro antiviolenza" in summary and "1522" in summary


def test_new_topics_exist_with_their_sources_and_are_offered_as_buttons():
    kb = knowledge.load()
    offered = {key for topic in kb.topics.values() for key in topic.related}
    for key in NEW_TOPICS:
        assert key in kb.topics, key
        assert key in offered, key
        assert {"title": kb.topics[key].title, "payload": f"/kb_{key}"} in kb.menu()["buttons"]
    economic = _topic_text("sostegno_economico")
    for fact in ("Reddito di libertà", "Comune", "SR208", "90 giorni", "3 anni", "art. 24 D.Lgs. 80/2015"):
        assert fact in economic, fact
    arrest = knowledge.load().topics["arresto_differito"]
    assert "Non metterti mai in pericolo per filmare" in arrest.summary and "48 ore" in arrest.summary
    assert "382-bis" in arrest.references[0]
    for crime in ("572", "612-bis", "387-bis"):
        assert crime in " ".join(arrest.references), crime
    remission = _topic_text("remissione_querela")
    for fact in (
        "art. 152",
        "90-quater",
        "giustificato motivo",
        "giustizia riparativa",
        "609-septies",
        "curatore speciale",
    ):
        assert fact in remission, fact
    orphans = _topic_text("orfani_femminicidio")
    for fact in ("familiari stretti", "4-quater", "60.000", "borse di studio", "Prefettura"):
        assert fact in orphans, fact
    men = knowledge.load().topics["uomini_vittime"]
    assert not men.violence and "1522" not in _all_text(men)  # 1522's service to men is not verified
    assert "donne e ai loro figli" in men.summary and "sportelli per le vittime" in men.summary
    assert "servizi sociali" in men.summary and "112" in men.summary


def test_grant_calls_and_deadlines_only_while_open():
    """A deadline written in a text must not have passed (e.g. orphans' study grants)."""
    today = dt.date.today()
    pattern = re.compile(
        r"\b(?:entro|scadenza|scade)\D{0,20}?(\d{1,2})(?: |/)(\d{1,2}|"
        + "|".join(knowledge.MONTHS)
        + r")(?: |/)(\d{4})\b"
    )
    for name, text in _spoken_texts().items():
        for day, month, year in pattern.findall(normalise(text)):
            month_number = int(month) if month.isdigit() else MONTHS[month]
            assert dt.date(int(year), month_number, int(day)) >= today, (name, day, month, year)
    assert "2025/26" not in _topic_text("orfani_femminicidio")
    assert "28 febbraio 2026" not in _topic_text("orfani_femminicidio")


def _national_numbers():
    with open(ROOT / "data" / "directory" / "numeri_nazionali.csv", encoding="utf-8") as handle:
        return {re.sub(r"\D", "", row["numero"]) for row in csv.DictReader(handle)}


def test_phone_numbers_in_texts_are_in_the_directory():
    """Numbers written in domain responses and knowledge texts must be the directory's (one home)."""
    known = _national_numbers()
    texts = [p.read_text(encoding="utf-8") for p in content.domain_files()]
    texts += [_all_text(t) for t in knowledge.load().topics.values()]
    texts.append(yaml.safe_dump(knowledge.load().labels, allow_unicode=True))
    found = set()
    for text in texts:
        # helpline shapes: 11x, 15xx, 19xxx, 116xxx, 800 numbers (article numbers are not phones),
        # landlines (0…) and mobiles (3…) written in groups
        for match in re.findall(
            r"(?<![\d.,/-])(11\d|15\d\d|19\d{3}|116 ?\d{3}|800(?: ?\d){6,7}"
            r"|0\d{1,3}(?: \d{2,4}){2,3}|3\d\d(?: \d{3,4}){2})(?![\d.,/-])",
            text,
        ):
            found.add(re.sub(r"\D", "", match))
    unknown = {n for n in found if n not in known}
    assert not unknown, unknown
    assert {"112", "1522"} <= found


def test_telefono_amico_is_in_the_directory_with_its_hours_and_sources():
    with open(ROOT / "data" / "directory" / "numeri_nazionali.csv", encoding="utf-8") as handle:
        rows = {re.sub(r"\D", "", row["numero"]): row for row in csv.DictReader(handle)}
    row = rows["0223272327"]
    assert row["servizio"] == "Telefono Amico Italia" and row["disponibilita"] == "tutti i giorni, 10:00-24:00"
    assert "vivimilano.corriere.it" in row["fonte_url"] and "2025-09" in row["fonte_data"]
    for name, text in _spoken_texts().items():
        assert ("Telefono Amico" in text) <= ("02 2327 2327" in text), name
        assert ("2327 2327" in text) <= ("Telefono Amico" in text), name
