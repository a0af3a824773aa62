from assistant.text import EMPTY_MESSAGE, MESSAGE_TOO_LONG, clean_user_text, normalise


def test_normalise_accents_apostrophes_hyphens():
    assert normalise("Sant'Ambrogio di Torino") == "sant ambrogio di torino"
    assert normalise("MONDOVÌ") == "mondovi"
    assert normalise("Premosello-Chiovenda") == "premosello chiovenda"


def test_clean_user_text():
    assert clean_user_text("  ", 100) == EMPTY_MESSAGE
    assert clean_user_text("\x00\x01", 100) == EMPTY_MESSAGE
    assert clean_user_text("a" * 101, 100) == MESSAGE_TOO_LONG
    assert clean_user_text("ciao\u202e", 100) == "ciao"
    assert clean_user_text("riga 1\nriga 2", 100) == "riga 1\nriga 2"
