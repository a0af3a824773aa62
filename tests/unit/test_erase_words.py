"""Erasing a conversation cannot be undone: the classifier's exit_chat counts only with a word asking for it."""

import pytest

from assistant.answers import asks_to_erase


@pytest.mark.parametrize(
    "text",
    ["esci", "chiudi la chat", "cancella tutto subito", "elimina i miei messaggi", "non voglio che resti traccia"],
)
def test_requests_to_leave_or_delete(text):
    assert asks_to_erase(text)


@pytest.mark.parametrize("text", ["ora è uscito, sono da sola", "è uscito di casa", "sono uscita dal lavoro", ""])
def test_a_story_is_not_a_request_to_erase(text):
    assert not asks_to_erase(text)
