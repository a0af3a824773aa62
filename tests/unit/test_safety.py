import pytest

from assistant.safety import is_immediate_danger

DANGER = [
    "è qui fuori con un coltello",
    "E' QUI FUORI CON UN COLTELLO!!",
    "aiuto mi vuole uccidere",
    "mi sta picchiando adesso",
    "sta sfondando la porta",
    "ha una pistola",
    "mi ha chiusa in casa",
    "sono in pericolo",
    "mio marito è sotto casa e urla",
    "sto sanguinando",
    "voglio farla finita",
    "chiamate la polizia",
    "Il mio ex sta arrivando qui per picchiarmi",
    "mi minaccia di ammazzarmi stanotte",
]
SAFE = [
    "ciao",
    "come si fa una denuncia?",
    "cos'è l'ammonimento?",
    "non sono in pericolo, volevo solo informazioni",
    "ora non sono in pericolo",
    "abito a Casale Monferrato",
    "posso avere un avvocato gratis?",
    "il mio compagno mi picchiava, adesso vivo da sola",
    "",
]


@pytest.mark.parametrize("text", DANGER)
def test_danger_is_recognised(text):
    assert is_immediate_danger(text)


@pytest.mark.parametrize("text", SAFE)
def test_no_false_alarm(text):
    assert not is_immediate_danger(text)


@pytest.mark.parametrize("text,foreign", [
    ("hello, can you help me? my husband hits me", True),
    ("bonjour, j'ai besoin d'aide", True),
    ("I was robbed yesterday", True),
    ("hola, necesito ayuda por favor", True),
    ("مرحبا أحتاج مساعدة", True),
    ("привет мне нужна помощь", True),
    ("ciao ho bisogno di aiuto", False),
    ("cos'è il codice rosso?", False),
    ("mi hanno discriminato perché sono nero", False),
    ("la polizia mi ha detto di venire qui", False),
])
def test_other_language(text, foreign):
    from assistant.language import looks_foreign
    assert looks_foreign(text) == foreign


def test_overrides_prefer_danger_over_language():
    import importlib.util
    if importlib.util.find_spec("rasa") is None:
        pytest.skip("rasa not installed")
    from addons.overrides import override_for
    assert override_for("aiuto è qui fuori con un coltello") == "emergency"
    assert override_for("hello I need help please") == "other_language"
    assert override_for("ciao") is None
