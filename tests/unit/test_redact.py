"""Redaction: the person's and the bot's lines and the handoff summary, written as people write."""

import pytest

from assistant.handoff.redact import redact

CASES = [  # (text, what must disappear, placeholder shown)
    ("chiamami al 333 1234567 dopo le 18", ["333 1234567"], "[telefono]"),
    ("il fisso è 011-5628314", ["011-5628314"], "[telefono]"),
    ("+39 347 123 4567", ["347 123 4567"], "[telefono]"),
    ("il mio cell 3471234567", ["3471234567"], "[telefono]"),
    ("numero: 0039 340.555.12.34", ["340.555.12.34"], "[telefono]"),
    ("il mio numero è tre tre tre, uno due tre quattro cinque sei sette", ["uno due tre quattro"], "[telefono]"),
    ("scrivi al trecentoquaranta uno due tre quattro cinque sei", ["uno due tre quattro"], "[telefono]"),
    ("chiamami al 348 sette sei cinque quattro tre due uno", ["sette sei cinque"], "[telefono]"),
    ("scrivimi a maria.rossi@example.org", ["maria.rossi@example.org"], "[email]"),
    ("la mia mail è giulia_b84 chiocciola libero punto it", ["giulia_b84", "libero punto it"], "[email]"),
    ("il mio codice fiscale è RSSMRA80A41L219X", ["RSSMRA80A41L219X"], "[codice fiscale]"),
    ("cf: rssmra80a41l219x", ["rssmra80a41l219x"], "[codice fiscale]"),
    ("codice fiscale omocodico RSSMRA80A41L2LVX", ["RSSMRA80A41L2LVX"], "[codice fiscale]"),
    ("il suo cf è BNCGLI9SH5ML219Q credo", ["BNCGLI9SH5ML219Q"], "[codice fiscale]"),
    ("IBAN IT60X0542811101000000123456 intestato a me", ["IT60X0542811101000000123456"], "[iban]"),
    ("mi ha fatto fare un bonifico su it60x0542811101000000123456", ["it60x0542811101000000123456"], "[iban]"),
    ("l'iban è IT60 X054 2811 1010 0000 0123 456", ["X054 2811", "0123 456"], "[iban]"),
    ("abito in via Roma 12, Torino", ["via Roma 12"], "[indirizzo]"),
    ("corso Vittorio Emanuele II 45/B", ["Vittorio Emanuele II 45"], "[indirizzo]"),
    ("sto in p.za Castello 3 a Cuneo", ["Castello 3"], "[indirizzo]"),
    ("abito in p.zza San Carlo", ["San Carlo"], "[indirizzo]"),
    ("vivo in fraz. Madonna dell'Olmo", ["Madonna"], "[indirizzo]"),
    ("sono in loc. Pian del Re 4", ["Pian del Re"], "[indirizzo]"),
    ("abitiamo in località Sant'Anna, vicino ad Alba", ["Sant'Anna"], "[indirizzo]"),
    ("casa nostra è in frazione san rocco", ["san rocco"], "[indirizzo]"),
    ("viviamo alla cascina Rossa, strada per Bra", ["Rossa"], "[indirizzo]"),
    ("abita in regione Gallo 5, Grinzane", ["Gallo 5"], "[indirizzo]"),
    ("mi ha aspettata sotto casa in via Garibaldi", ["Garibaldi"], "[indirizzo]"),
    ("abito in via roma vicino alla stazione", ["via roma"], "[indirizzo]"),
    ("via della rocca 3 interno 5", ["rocca 3"], "[indirizzo]"),
    ("abito in Via XX Settembre 18", ["XX Settembre"], "[indirizzo]"),
    ("l'indirizzo è via 4 novembre 10", ["4 novembre 10"], "[indirizzo]"),
    ("sto in v.le Mazzini", ["Mazzini"], "[indirizzo]"),
    ("ci vediamo in c.so Francia 200", ["Francia 200"], "[indirizzo]"),
    ("sono Giulia Bianchi e ho bisogno di aiuto", ["Giulia", "Bianchi"], "[nome]"),
    ("Salve, mi chiamo Anna", ["Anna"], "[nome]"),
    ("mi chiamo giulia bianchi", ["giulia bianchi"], "[nome]"),
    ("il mio nome è Fatima El Amrani", ["Fatima", "Amrani"], "[nome]"),
    ("buongiorno io sono Marta, ho 34 anni", ["Marta"], "[nome]"),
    ("il mio ex, Luca Verdi, mi perseguita", ["Luca Verdi"], "[nome]"),
    ("mio marito Paolo mi picchia", ["Paolo"], "[nome]"),
    ("il vicino, Carlo Neri, mi minaccia", ["Carlo Neri"], "[nome]"),
    ("tel. 011 56 28 314 dopo le 19", ["56 28 314"], "[telefono]"),
    ("abito a torino in corso francia 12", ["francia 12"], "[indirizzo]"),
    ("la casa è in via torino 5", ["torino 5"], "[indirizzo]"),
    ("abito in via la marmora 5, scala b", ["marmora 5"], "[indirizzo]"),
    ("Sono Elena. Mi segue da mesi, mi ha scritto dal 3891234567", ["Elena", "3891234567"], "[nome]"),
]
KEPT = [  # ordinary text, helplines and service numbers stay as they are
    "ho chiamato il 1522 ieri",
    "è successo nel 2023",
    "mio figlio ha 12 anni",
    "è andato via subito",
    "mi ha scritto via whatsapp",
    "sono stata picchiata",
    "sono Stata minacciata ieri",
    "la Regione Piemonte ha dei centri?",
    "Rete Dafne: 800 91 91 08",
    "ho tre figli e due gatti",
    "mi ha seguita per strada",
    "nel corso del tempo è peggiorato",
    "è scappato via con 2 amici",
    "sono a Torino da due anni",
    "Numero antiviolenza: 1522, emergenze: 112",
    "abito vicino Torino",
    "Ciao, sono l'assistente di Sportello Vittime",
]


@pytest.mark.parametrize("raw,hidden,placeholder", CASES)
def test_personal_data_is_hidden(raw, hidden, placeholder):
    out = redact(raw)
    assert placeholder in out, out
    for part in hidden:
        assert part not in out, out


@pytest.mark.parametrize("raw", KEPT)
def test_ordinary_text_stays(raw):
    assert redact(raw) == raw


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_the_rest_of_the_sentence_stays_readable():
    assert redact("abito in via roma vicino alla stazione") == "abito in [indirizzo] vicino alla stazione"
    assert redact("sono Giulia Bianchi e ho bisogno di aiuto") == "sono [nome] e ho bisogno di aiuto"
    assert redact("sto in p.za Castello 3 a Cuneo") == "sto in [indirizzo] a Cuneo"
