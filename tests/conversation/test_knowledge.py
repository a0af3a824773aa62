"""One conversation per knowledge topic: the answer, its legal reference and date, then the details."""
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
}


def test_every_topic_has_a_conversation_test():
    assert set(QUESTIONS) == set(knowledge.load().topics)


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_topic_answer_with_reference_and_date(bot, sender, key):
    topic = knowledge.load().topics[key]
    reply = bot.say(sender, QUESTIONS[key])
    text = "\n".join(m.get("text", "") for m in reply)
    assert topic.summary[:60] in text
    assert topic.references[0] in text
    assert "aggiornate al " + topic.updated.strftime("%d/%m/%Y") in text
    if topic.violence:
        assert "112" in text and "1522" in text
    titles = [b["title"] for m in reply for b in m.get("buttons", [])]
    assert "Vuoi sapere di più?" in titles and len(titles) >= 3
    more = bot.texts(sender, f'/kb_more{{"topic": "{key}"}}')
    assert topic.details[:60] in more and topic.references[0] in more


def test_typed_yes_after_an_answer_gives_the_details(bot, sender):
    bot.texts(sender, "posso avere un avvocato gratis?")
    assert "figli di una persona uccisa" in bot.texts(sender, "sì")
