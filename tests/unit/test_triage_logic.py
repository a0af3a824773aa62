import pytest

from assistant import triage
from assistant.directory import models as m


@pytest.mark.parametrize("text,event", [
    ("Il mio compagno mi picchia", "violenza_domestica"),
    ("il mio ex mi perseguita", "stalking"),
    ("sono stata violentata", "violenza_sessuale"),
    ("hanno truffato mia nonna", "truffa"),
    ("mi hanno rubato il portafoglio", "furto"),
    ("mi hanno discriminato perché sono nero", "discriminazione"),
    ("mi hanno tolto il passaporto e mi costringono a lavorare", "tratta"),
    ("mio figlio è vittima di bullismo", "bullismo"),
    ("buongiorno", None),
])
def test_classify_event(text, event):
    assert triage.classify_event(text) == event


@pytest.mark.parametrize("text,victim", [
    ("il mio compagno mi picchia", "io"),
    ("mio figlio di 12 anni", "minore"),
    ("hanno truffato mia nonna", "anziano"),
    ("mia sorella subisce violenza", "altra_persona"),
    ("sono disabile e mi derubano", "disabile"),
])
def test_classify_victim(text, victim):
    assert triage.classify_victim(text) == victim


def test_every_plan_has_112():  # the routing table itself: tests/unit/test_routing.py, one test per row
    for plan in (triage.plan_for(c, v) for c in (None, "altro", "furto") for v in (None, "io")):
        assert triage.EMERGENCY in plan.numbers


def test_reply_shows_source_dates_and_unknown_phones(db_url):
    messages = triage.reply("006039", "violenza_domestica", "io")
    text = "\n".join(messages)
    assert "Centro Antiviolenza me.dea Casale Monferrato" in text
    assert "non lo conosco" in text and "1522" in text
    assert text.count("Fonte:") >= 2


def test_reply_without_comune_gives_national_lines(db_url):
    text = "\n".join(triage.reply(None, "violenza_domestica", "io"))
    assert "1522" in text and "112" in text and "Fonte" not in text


def test_every_number_of_every_plan_is_in_the_directory(db_url):
    from assistant.directory.nearest import directory
    for number in (triage.EMERGENCY, triage.ANTIVIOLENZA, triage.EMERGENZA_INFANZIA, triage.TELEFONO_AZZURRO,
                   triage.UNAR, triage.ANTITRATTA, triage.RETE_DAFNE):
        assert directory().national(number), number


@pytest.mark.parametrize("text", ["io", "Io", "a me", "sono io"])
def test_short_answers_for_who(text):
    assert triage.classify_victim(text) == "io"
