"""Triage conversations over REST: danger first, few questions, the right services."""

import re


def test_violence_not_in_danger_casale(bot, sender):
    first = bot.texts(sender, "Il mio compagno mi picchia, abito a Casale Monferrato")
    assert "sei in pericolo in questo momento?" in first
    result = bot.texts(sender, "no")
    assert "Casale Monferrato" in result
    assert "Centro Antiviolenza me.dea Casale Monferrato" in result
    assert "1522" in result and "Fonte:" in result
    assert re.search(r"dati del \d", result)
    assert "Servizi sociali" in result
    # only the danger question was asked: everything else was in the first message
    assert "Chi ha subito il reato?" not in first + result
    assert "In quale comune" not in first + result


def test_danger_at_turn_one(bot, sender):
    reply = bot.texts(sender, "è qui fuori con un coltello")
    assert "chiama subito il 112" in reply


def test_danger_answer_yes_gives_112_and_goes_on(bot, sender):
    bot.texts(sender, "cerco aiuto")
    reply = bot.texts(sender, "/emergency")
    assert "chiama subito il 112" in reply
    assert "cosa è successo?" in reply  # the form goes on with the next question


def test_danger_mid_form_then_the_form_resumes(bot, sender):
    bot.texts(sender, "cerco aiuto vicino a me")
    assert "cosa è successo" in bot.texts(sender, "no")
    reply = bot.texts(sender, "aiuto sta sfondando la porta")
    assert "chiama subito il 112" in reply
    assert "cosa è successo" in reply  # asked again after the emergency answer
    # "mi perseguita" answers both what happened and who: the next question is the comune
    assert "In quale comune" in bot.texts(sender, "mi perseguita da mesi")


def test_a_service_asked_by_name_is_shown_at_once(bot, sender):
    """No story, a service and a place: the services straight away, with 112; no questions."""
    reply = bot.texts(sender, "c'è un centro antiviolenza a Borgosesia o lì vicino?")
    assert "per Borgosesia" in reply and "Centro" in reply and "1522" in reply and "112" in reply
    assert "sei in pericolo in questo momento?" not in reply and "cosa è successo" not in reply


def test_a_service_without_a_place_asks_only_the_comune(bot, sender):
    assert "In quale comune" in bot.texts(sender, "mi servono i servizi sociali")
    result = bot.texts(sender, "Fossano")
    assert "per Fossano" in result and "Servizi sociali" in result


def test_the_postal_police_needs_no_comune(bot, sender):
    reply = bot.texts(sender, "polizia postale")
    assert "commissariatodips.it" in reply and "In quale comune" not in reply


def test_a_story_with_a_service_still_asks_the_danger_first(bot, sender):
    reply = bot.texts(sender, "cerco un centro antiviolenza, il mio compagno mi picchia")
    assert "sei in pericolo in questo momento?" in reply and "1522" in reply


def test_minor(bot, sender):
    first = bot.texts(sender, "mio figlio di 12 anni è vittima di bullismo, abitiamo a Cuneo")
    assert "114" in first and "19696" in first  # the minors' lines come with the first reply
    result = bot.texts(sender, "no")
    assert "114" in result and "19696" in result
    assert "Consorzio Socio Assistenziale del Cuneese" in result or "Servizi sociali" in result


def test_elderly_fraud_asks_the_comune(bot, sender):
    bot.texts(sender, "hanno truffato mia nonna al telefono")
    reply = bot.texts(sender, "no")
    assert "In quale comune" in reply
    result = bot.texts(sender, "Bra")
    assert "800 91 91 08" in result and "Rete Dafne" in result
    assert "Bra" in result


def test_discrimination(bot, sender):
    """Racist abuse: the victim is taken from the story; social services and unar.it, never UNAR's unverified
    number as current (legal_facts §16.15)."""
    bot.texts(sender, "cerco un servizio vicino a me")
    bot.texts(sender, "no")
    reply = bot.texts(sender, "mi hanno insultato e discriminato per la mia origine")
    if "Chi ha subito" in reply:
        reply = bot.texts(sender, "io")
    assert "In quale comune" in reply
    result = bot.texts(sender, "Torino")
    assert "per Torino" in result and "unar.it" in result and "800 90 10 10" not in result


def test_a_comune_named_like_a_word_is_not_taken_from_nowhere(bot, sender):
    """Slots cleared at the start of a triage must not be read as the comune "None" (TO)."""
    bot.texts(sender, "cerco aiuto vicino a me")
    bot.texts(sender, "no")
    bot.texts(sender, "mi perseguita da mesi")
    assert "In quale comune" in bot.texts(sender, "io")


def test_ambiguous_comune_offers_buttons(bot, sender):
    bot.texts(sender, "il mio ex mi perseguita")
    bot.texts(sender, "no")
    reply = bot.say(sender, "Casale")
    titles = [b["title"] for m in reply for b in m.get("buttons", [])]
    assert "Casale Monferrato (AL)" in titles and "Casale Corte Cerro (VB)" in titles
    payload = next(b["payload"] for m in reply for b in m.get("buttons", []) if b["title"] == "Casale Monferrato (AL)")
    result = bot.texts(sender, payload)
    assert "Centro Antiviolenza me.dea Casale Monferrato" in result


def test_misspelled_comune(bot, sender):
    bot.texts(sender, "il mio ex mi perseguita")
    bot.texts(sender, "no")
    assert "per Pinerolo" in bot.texts(sender, "Pinerlo")


def test_cap(bot, sender):
    bot.texts(sender, "mi hanno rubato il portafoglio")
    bot.texts(sender, "no")
    assert "per Bra" in bot.texts(sender, "12042")


def test_outside_piemonte(bot, sender):
    bot.texts(sender, "mio marito mi picchia")
    bot.texts(sender, "no")
    result = bot.texts(sender, "Milano")
    assert "Lombardia" in result and "solo il Piemonte" in result
    assert "1522" in result and "112" in result


def test_unknown_comune_twice_then_national_lines(bot, sender):
    bot.texts(sender, "mio marito mi picchia")
    bot.texts(sender, "no")
    assert "Non ho trovato il comune" in bot.texts(sender, "Xyzzyville")
    result = bot.texts(sender, "Plutonia Inferiore")
    assert "Non riesco a trovare il comune" in result and "1522" in result


def test_stop_during_triage(bot, sender):
    bot.texts(sender, "cerco un servizio")
    assert "ci fermiamo qui" in bot.texts(sender, "basta")


def test_an_answer_that_cannot_be_used_is_asked_again(bot, sender):
    bot.texts(sender, "cerco un servizio")
    reply = bot.texts(sender, "uffa")
    assert "non ho capito la risposta" in reply and "sei in pericolo" in reply
    bot.texts(sender, "no")
    assert "Chi ha subito il reato?" in bot.texts(sender, '/inform{"cosa_successo": "furto"}')
    reply = bot.texts(sender, "boh qualcuno")
    assert "non ho capito la risposta" in reply and "Chi ha subito il reato?" in reply


def test_change_the_comune_after_the_answer(bot, sender):
    bot.texts(sender, "mio marito mi picchia, vivo a Torino")
    assert "per Torino" in bot.texts(sender, "no")
    assert "per Bra" in bot.texts(sender, "anzi, abito invece a Bra")


def test_high_risk_offers_a_person(bot, sender):
    bot.texts(sender, "il mio ex mi perseguita, abito a Bra")
    reply = bot.texts(sender, "sì")
    assert "chiama subito il 112" in reply and "Parlare con una persona del servizio" in reply
