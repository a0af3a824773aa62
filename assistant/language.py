"""Is a message written in a language other than Italian? A stop-word count, no model needed.

Used by the NLU pipeline (rasa_addons/components/overrides.py) so that a message in English, French, Spanish,
German, Romanian, Albanian or in a non-Latin script gets the multilingual answer with 112 and 1522.
"""

from __future__ import annotations

import re

_ITALIAN = set(
    """il lo la i gli le un una uno di a da in con su per tra fra che e è non mi ti ci si ho ha hanno
sono sei siamo mio mia miei mie tuo suo cosa come dove quando perché perche chi del della dei delle al alla
ai alle nel nella sul sulla questo questa quello quella anche ma o se io tu lui lei noi voi loro ciao grazie
buongiorno aiuto posso voglio devo sto era fatto ancora già gia molto poco più piu""".split()
)
_FOREIGN = (
    set(
        """the and is are was were my me i you he she it we they his her what where when how can could
would should help please hello hi with this that have has not do does don't dont your from to of in on for
le les des est et je tu il nous vous ils elle mon ma mes bonjour merci aide pas une avec pour qui que dans
el los las es y yo mi hola gracias ayuda por favor una con para que del como donde necesito estoy soy
der die das ist und ich du er sie wir nicht mein meine hallo danke hilfe bitte mit für
si sunt eu este nu am ajutor buna multumesc sa care pentru
une jam nuk dhe ne me per ndihme pershendetje faleminderit
need needs robbed stolen yesterday husband wife boyfriend police hit hits hurt attacked afraid scared
besoin suis mari frappe peur police aidez necesito marido miedo policia golpea""".split()
    )
    - _ITALIAN
)
_NON_LATIN = re.compile(
    r"[\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]"
)


def looks_foreign(text: str) -> bool:
    text = text or ""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(bool(_NON_LATIN.match(ch)) for ch in letters) > len(letters) / 2:
        return True
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    foreign = sum(w in _FOREIGN for w in words)
    italian = sum(w in _ITALIAN for w in words)
    return foreign >= 2 and foreign > 2 * italian
