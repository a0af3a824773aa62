"""One conversation per knowledge topic: the answer, its legal reference and date, then the details;
the topics added for the law as it stands (L. 181/2025 and the fact sheet's update) are also reached
by pressing their button under a related topic."""

import pytest

from assistant import knowledge

QUESTIONS = {
    "denuncia_querela": "che differenza c'è tra una denuncia e una querela?",
    "dove_denunciare": "come si fa una denuncia?",
    "diritti_offesa": "quali diritti ho come vittima di un reato?",
    "interprete": "non parlo bene l'italiano, posso avere un interprete?",
    "ammonimento": "cos'è l'ammonimento?",
    "ordine_protezione": "come si chiede un ordine di protezione?",
    "misure_cautelari": "cos'è il braccialetto elettronico?",
    "codice_rosso": "cosa prevede il codice rosso?",
    "patrocinio": "posso avere un avvocato gratis?",
    "risarcimento": "posso avere un risarcimento dallo stato?",
    "permesso_stranieri": "se denuncio mi espellono?",
    "discriminazione": "mi hanno discriminato perché sono straniero, cosa posso fare?",
    "minori": "come viene ascoltato un bambino vittima di abusi?",
    "giustizia_riparativa": "cos'è la giustizia riparativa?",
    "legge_regionale": "cosa dice la legge regionale 23 del 2007?",
    "sostegno_economico": "esistono aiuti economici per una donna che vuole lasciare un compagno violento?",
    "arresto_differito": "se ho un video di lui che mi picchia, la polizia lo può arrestare dopo?",
    "remissione_querela": "cosa succede alla mia querela se non vado all'udienza?",
    "orfani_femminicidio": "mia sorella è stata uccisa dal marito, che aiuti ci sono per i suoi figli?",
    "uomini_vittime": "sono un uomo e mia moglie mi maltratta, quali tutele ho?",
}
NEW_TOPICS = ["sostegno_economico", "arresto_differito", "remissione_querela", "orfani_femminicidio", "uomini_vittime"]


def test_every_topic_has_a_conversation_test():
    assert set(QUESTIONS) == set(knowledge.load().topics)


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_topic_answer_with_reference_and_date(bot, sender, key):
    topic = knowledge.load().topics[key]
    reply = bot.say(sender, QUESTIONS[key])
    text = "\n".join(m.get("text", "") for m in reply)
    assert topic.summary[:60] in text
    assert topic.references[0] in text
    assert "Norme verificate a " + knowledge.month_year(topic.updated) in text
    if topic.violence:
        assert "112" in text and "1522" in text
    titles = [b["title"] for m in reply for b in m.get("buttons", [])]
    assert "Vuoi sapere di più?" in titles and len(titles) >= 3
    more = bot.texts(sender, f'/kb_more{{"topic": "{key}"}}')
    assert topic.details[:60] in more and topic.references[0] in more


@pytest.mark.parametrize("key", NEW_TOPICS)
def test_new_topic_reached_by_its_button_under_a_typed_question(bot, sender, key):
    kb = knowledge.load()
    parent = next(t for t in kb.topics.values() if key in t.related and t.key in QUESTIONS)
    reply = bot.say(sender, QUESTIONS[parent.key])
    assert parent.summary[:60] in "\n".join(m.get("text", "") for m in reply)
    buttons = [b for m in reply for b in m.get("buttons", [])]
    button = next(b for b in buttons if b["title"] == kb.topics[key].title)
    text = bot.texts(sender, button["payload"])
    assert kb.topics[key].summary[:60] in text and kb.topics[key].references[0] in text
    assert "Norme verificate a febbraio 2026" in text


@pytest.mark.parametrize("key", NEW_TOPICS)
def test_new_topic_during_triage_then_the_questions_go_on(bot, sender, key):
    bot.texts(sender, "cerco aiuto vicino a me")
    assert "cosa è successo" in bot.texts(sender, "no")
    reply = bot.texts(sender, f"/kb_{key}")
    assert knowledge.load().topics[key].summary[:60] in reply
    assert "cosa è successo" in reply  # the triage question is asked again after the answer


def test_typed_yes_after_an_answer_gives_the_details(bot, sender):
    bot.texts(sender, "posso avere un avvocato gratis?")
    assert "figli di una persona uccisa" in bot.texts(sender, "sì")


def test_follow_ups_keep_the_topic_for_another_case(bot, sender):
    """ "e per una truffa invece?", "dimmi di più", "e se sono minorenne?" stay on legal aid and answer
    for the new case; "e per un uomo?" gets the men's text without the 1522 in it."""
    kb = knowledge.load()
    patrocinio = kb.topics["patrocinio"]
    assert patrocinio.summary[:60] in bot.texts(sender, "come posso avere un avvocato gratis?")
    scam = bot.texts(sender, "e per una truffa invece?")
    assert "Per truffe e furti non c'è questa eccezione" in scam and patrocinio.references[0] in scam
    assert patrocinio.details[:60] in bot.texts(sender, "dimmi di più")
    minor = bot.texts(sender, "e se sono minorenne?")
    assert minor.startswith("Se sei minorenne, puoi avere l'avvocato pagato dallo Stato")
    man = bot.texts(sender, "e per un uomo?")
    assert "valgono anche per un uomo" in man


def test_a_minor_gets_the_simpler_words_and_follow_ups_stay_for_a_minor(bot, sender):
    bot.texts(sender, "ho 14 anni e il mio patrigno mi mette le mani addosso")
    reply = bot.texts(sender, "/kb_denuncia_querela")
    assert "Se sei minorenne: la querela è la richiesta" in reply
    assert "Se sei minorenne" in bot.texts(sender, "/kb_patrocinio")


def test_a_follow_up_with_no_topic_yet_is_not_a_dead_end(bot, sender):
    reply = bot.say(sender, "e per una truffa invece?")
    assert reply and any(m.get("buttons") or m.get("text") for m in reply)
