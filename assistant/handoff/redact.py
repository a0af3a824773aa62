"""Redaction of personal data in what operators see: the person's lines, the bot's lines (the bot
quotes the person back) and the handoff summary and contact. One function, `redact`, used for all.

What is hidden, as people write it in Italian chats:
- e-mail addresses; IBANs (with or without spaces); codici fiscali, omocodic ones included;
- phone numbers in digits (spaces, dots, dashes, +39/0039) and in words ("tre tre tre, uno due...");
  toll-free service numbers (800, 803) and short helplines (112, 1522) stay;
- addresses: via/viale/corso/piazza/largo/vicolo/strada/borgata/località/frazione/cascina/regione
  and their abbreviations (v.le, c.so, p.za, p.zza, loc., fraz., str., reg.), with or without a house
  number; a bare "via" followed by a lower-case word is a street only after "in"/"a"
  ("abito in via roma"), so "è andato via subito" or "via whatsapp" stay;
- names when introduced ("sono Giulia Bianchi", "mi chiamo giulia", "il mio nome è ...") or named
  after a relation ("il mio ex, Luca Verdi").
Redaction is a safety net for the default view, not a guarantee: the reveal is audited.
"""

from __future__ import annotations

import re

PLACEHOLDERS = {
    "phone": "[telefono]",
    "email": "[email]",
    "cf": "[codice fiscale]",
    "address": "[indirizzo]",
    "iban": "[iban]",
    "name": "[nome]",
}

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_EMAIL_WORDS = re.compile(
    r"\b[\w.+-]+\s*(?:chiocciola|\(at\)|\[at\])\s*[\w-]+\s*(?:punto|\.)\s*[a-z]{2,6}\b", re.IGNORECASE
)
# IBAN: country, check digits, 11-30 alphanumerics, spaces allowed every few characters.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
# Codice fiscale; digits may be replaced by LMNPQRSTUV (omocodia).
_OMO = r"[\dLMNP-V]"
_CF = re.compile(rf"\b[A-Z]{{6}}{_OMO}{{2}}[A-EHLMPR-T]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z]\b", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\d(?:[\s./-]?\d){5,14}(?![\w/])")
_TOLL_FREE = re.compile(r"^(?:\+39|0039)?\s*80[03]")

_NUM = (
    r"(?:zero|uno|una|un|due|tre|tré|quattro|cinque|sei|sette|otto|nove|dieci|undici|dodici|tredici|"
    r"quattordici|quindici|sedici|diciassette|diciotto|diciannove|venti|vent|trenta|trent|quaranta|"
    r"quarant|cinquanta|cinquant|sessanta|sessant|settanta|settant|ottanta|ottant|novanta|novant|"
    r"cento|duecento|trecento|quattrocento|cinquecento|seicento|settecento|ottocento|novecento)"
)
_NUM_WORD = rf"(?:{_NUM})+|\d{{1,4}}"
_PHONE_WORDS = re.compile(
    rf"(?<![\w])(?:\+\s?39\s)?(?:{_NUM_WORD})(?:[\s,.\-]+(?:{_NUM_WORD})){{4,}}(?![\w])", re.IGNORECASE
)

# Addresses.
_STREET_ABBR = r"(?:v\.le|c\.so|c\.sa|p\.za|p\.zza|p\.le|pza|loc\.|fraz\.|str\.|reg\.|b\.ta|v\.lo)"
_STREET_FULL = (
    r"(?:viale|corso|piazza|piazzale|piazzetta|largo|vicolo|strada|borgata|borgo|località|localita|"
    r"frazione|cascina|regione|contrada|via)"
)
_CONNECT = r"(?:di|del|della|dello|dei|degli|delle|d'|d’|de|san|santa|sant'|sant’|s\.|dell'|dell’)"
_MONTHS = r"(?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre)"
_CAP_WORD = r"(?:[A-ZÀ-Ý][\wÀ-ÿ'’.-]*|[IVXL]+)"
_LOW_WORD = r"[a-zà-ÿ][\wà-ÿ'’-]*"
_HOUSE_NUMBER = (
    r"(?:,?\s*(?:n\.?|n°|nr\.?|numero|civico)?\s*\d{1,4}(?:[A-Za-z]|\s?bis)?(?:\s?/\s?\d*[A-Za-z]?)?(?![\w]))"
)
# Words that end a lower-case street name ("abito in via roma vicino alla stazione").
_STOP = {
    "a",
    "al",
    "alla",
    "alle",
    "allo",
    "ai",
    "in",
    "e",
    "ed",
    "che",
    "con",
    "dove",
    "vicino",
    "davanti",
    "dietro",
    "angolo",
    "ma",
    "perché",
    "perche",
    "poi",
    "da",
    "dal",
    "dalla",
    "mi",
    "ti",
    "si",
    "ci",
    "lo",
    "la",
    "le",
    "il",
    "un",
    "una",
    "uno",
    "per",
    "non",
    "sono",
    "è",
    "ho",
    "ha",
    "era",
    "ieri",
    "oggi",
    "stasera",
    "domani",
    "subito",
    "qui",
    "lì",
    "li",
    "là",
    "sotto",
    "sopra",
    "tra",
    "fra",
    "nel",
    "nella",
    "o",
    "oppure",
    "anche",
    "sempre",
    "mai",
    "casa",
    "presso",
    "zona",
    "quartiere",
}
# Articles start street names too ("via La Marmora 5", "via le Chiuse 3"): they do not stop a numbered one.
_STOP_NUMBERED = _STOP - {"la", "le", "il", "lo"}
_NAME_WORDS = rf"{_CAP_WORD}(?:\s+(?:{_CONNECT}\s*)?{_CAP_WORD}){{0,4}}"
_PREFIX = rf"(?i:{_STREET_ABBR}|\b{_STREET_FULL}\b)"
# A street with a capitalised name ("Via Roma", "p.za Castello 3", "via XX Settembre").
_ADDRESS_CAP = re.compile(
    rf"{_PREFIX}\s*(?:(?i:{_CONNECT})\s*)?(?:\d{{1,2}}\s+(?i:{_MONTHS})|{_NAME_WORDS})(?:{_HOUSE_NUMBER})?"
)
# Any street with a house number ("via roma 12", "fraz. san rocco 3").
_ADDRESS_NUMBERED = re.compile(
    rf"{_PREFIX}\s*(?:{_CONNECT}\s*)?(?:{_LOW_WORD}\s+){{0,3}}?{_LOW_WORD}{_HOUSE_NUMBER}", re.IGNORECASE
)
# A lower-case street name without a number: only after "in"/"a" or with an unambiguous prefix.
_ADDRESS_LOW = re.compile(rf"{_PREFIX}\s*(?P<words>(?:{_LOW_WORD}\s*){{1,4}})", re.IGNORECASE)
_UNAMBIGUOUS = re.compile(
    rf"^(?:{_STREET_ABBR}|viale|piazzale|vicolo|borgata|località|localita|frazione|cascina)", re.IGNORECASE
)
_BEFORE_STREET = re.compile(r"(?:\b(?:in|a|abito|vivo|sto|stò|residente|domiciliata|domiciliato)\s+)$", re.IGNORECASE)
_NOT_A_PLACE = re.compile(
    r"^(?:regione\s+piemonte|regione\s+lombardia|via\s+(?:e-?mail|mail|whatsapp|telegram|"
    r"sms|chat|internet|web|social|telefono|messaggio|messaggi|posta|skype|instagram|"
    r"facebook)|corso\s+(?:di|del|della)\s)",
    re.IGNORECASE,
)

# Names.
_NAME_AFTER = re.compile(
    r"\b(?i:mi\s+chiamo|il\s+mio\s+nome\s+è|il\s+mio\s+nome\s+e'|mi\s+presento[,:]?\s+sono|io\s+sono|sono|"
    r"firmato|sottoscritta|sottoscritto)\s+(?P<name>[A-ZÀ-Ý][a-zà-ÿ'’]+(?:\s+[A-ZÀ-Ý][a-zà-ÿ'’]+){0,2})"
)
_NAME_LOWER = re.compile(
    r"\b(?:mi\s+chiamo|il\s+mio\s+nome\s+è|il\s+mio\s+nome\s+e')\s+(?P<name>[a-zà-ÿ'’]+(?:\s+[a-zà-ÿ'’]+)?)",
    re.IGNORECASE,
)
_RELATION = re.compile(
    r"\b(?i:mio|mia|il\s+mio|la\s+mia|suo|sua|il|la|lo|l')\s*"
    r"(?i:marito|moglie|ex|compagno|compagna|fidanzato|fidanzata|convivente|padre|madre|papà|mamma|figlio|figlia|"
    r"fratello|sorella|suocero|suocera|cognato|cognata|zio|zia|capo|collega|datore\s+di\s+lavoro|vicino|"
    r"vicina|amico|amica|insegnante|professore|allenatore),?\s+(?i:si\s+chiama\s+)?"
    r"(?P<name>[A-ZÀ-Ý][a-zà-ÿ'’]+(?:\s+[A-ZÀ-Ý][a-zà-ÿ'’]+)?)"
)
# Capitalised words after "sono" that are not names.
_NOT_NAMES = {
    "Io",
    "Non",
    "Stata",
    "Stato",
    "Qui",
    "Una",
    "Un",
    "La",
    "Il",
    "Lo",
    "Le",
    "Gli",
    "Ancora",
    "Sola",
    "Solo",
    "Sicura",
    "Sicuro",
    "In",
    "A",
    "Di",
    "Da",
    "Per",
    "Con",
    "Molto",
    "Tanto",
    "Piemonte",
    "Torino",
    "Italiana",
    "Italiano",
    "Straniera",
    "Straniero",
    "Incinta",
    "Disabile",
    "Minorenne",
    "Maggiorenne",
    "Anziana",
    "Anziano",
    "Uscita",
    "Uscito",
    "Arrivata",
    "Arrivato",
    "Spaventata",
    "Spaventato",
    "Preoccupata",
    "Preoccupato",
    "Stanca",
    "Stanco",
    "Vittima",
    "Tornata",
    "Tornato",
    "Mi",
    "Ti",
    "Si",
    "Ci",
    "Ha",
    "Ho",
    "E",
    "È",
    "Ma",
    "Che",
    "Mio",
    "Mia",
    "Ieri",
    "Oggi",
}
_STOP_NAME_LOWER = _STOP | {"così", "cosi", "anonima", "anonimo", "nessuno", "niente", "ancora", "non", "meglio"}


def _phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if _TOLL_FREE.match(match.group(0).strip()) and len(digits) <= 12:
        return match.group(0)
    return PLACEHOLDERS["phone"]


def _phone_words(match: re.Match) -> str:
    words = re.findall(rf"{_NUM_WORD}", match.group(0), re.IGNORECASE)
    digits = "".join(w for w in words if w.isdigit())
    # five or more number words: a number spelled out, e.g. "tre tre tre, uno due tre quattro"
    return PLACEHOLDERS["phone"] if len(words) >= 5 and len(digits) <= 16 else match.group(0)


def _address_low(match: re.Match) -> str:
    full = match.group(0)
    if not (_UNAMBIGUOUS.match(full) or _BEFORE_STREET.search(match.string[: match.start()])):
        return full
    words = match.group("words").split()
    kept = []
    for word in words:
        if word.lower().strip(",.") in _STOP:
            break
        kept.append(word)
    if not kept or _NOT_A_PLACE.match(f"{full.split()[0]} {kept[0]} "):
        return full
    end = full.find(kept[-1], len(full) - len(match.group("words"))) + len(kept[-1])
    return PLACEHOLDERS["address"] + full[end:]


def _address(match: re.Match) -> str:
    words = re.findall(r"[\wà-ÿ'’]+", match.group(0).lower())[1:]
    if _NOT_A_PLACE.match(match.group(0) + " ") or any(w in _STOP_NUMBERED for w in words):
        return match.group(0)  # "è scappato via con 2 amici" is not an address
    return PLACEHOLDERS["address"]


def _name(match: re.Match) -> str:
    name = match.group("name")
    words = name.split()
    if words[0] in _NOT_NAMES:
        return match.group(0)
    kept = []
    for word in words:
        if word in _NOT_NAMES:
            break
        kept.append(word)
    start = match.start("name") - match.start(0)
    tail = name[len(" ".join(kept)) :]
    return match.group(0)[:start] + PLACEHOLDERS["name"] + tail


def _name_lower(match: re.Match) -> str:
    words = match.group("name").split()
    kept = [w for w in words[:2]]
    while kept and kept[-1].lower() in _STOP_NAME_LOWER:
        kept.pop()
    if not kept or kept[0].lower() in _STOP_NAME_LOWER:
        return match.group(0)
    start = match.start("name") - match.start(0)
    return match.group(0)[:start] + PLACEHOLDERS["name"] + match.group("name")[len(" ".join(kept)) :]


def redact(text: str) -> str:
    if not text:
        return text
    text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    text = _EMAIL_WORDS.sub(PLACEHOLDERS["email"], text)
    text = _IBAN.sub(lambda m: PLACEHOLDERS["iban"] if sum(c.isdigit() for c in m.group(0)) >= 10 else m.group(0), text)
    text = _CF.sub(PLACEHOLDERS["cf"], text)
    text = _ADDRESS_NUMBERED.sub(_address, text)
    text = _ADDRESS_CAP.sub(_address, text)
    text = _ADDRESS_LOW.sub(_address_low, text)
    text = _NAME_AFTER.sub(_name, text)
    text = _NAME_LOWER.sub(_name_lower, text)
    text = _RELATION.sub(_name, text)
    text = _PHONE.sub(_phone, text)
    text = _PHONE_WORDS.sub(_phone_words, text)
    return text
