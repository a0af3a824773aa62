"""Triage: what happened, who is the victim, their gender and the service asked for (from free text),
which services fit (content/routing.yml), and the reply that lists them. Texts come from
content/triage.yml; numbers and services from the directory.

What happened and who: hand-written patterns first (high precision: when one matches, it wins), then
a small classifier learned from the labelled examples of data/nlu (the `metadata` of each block:
event, victim), which generalises to the words the patterns do not know. Gender and the requested
service are said in so few ways (agreement, names of services) that patterns are enough."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Tuple
from urllib.parse import urlparse

from assistant import content, knowledge, nlu_data
from assistant.directory import models as m
from assistant.directory.nearest import directory
from assistant.settings import PROJECT_ROOT
from assistant.text import normalise

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
SKIPPED = "non_detto"
EVENTS = (
    "violenza_domestica",
    "violenza_sessuale",
    "stalking",
    "aggressione",
    "truffa",
    "phishing",
    "sextortion",
    "revenge_porn",
    "molestie_lavoro",
    "furto",
    "discriminazione",
    "tratta",
    "bullismo",
    "altro",
)
VICTIMS = ("io", "minore", "anziano", "disabile", "altra_persona")

# Numbers as written in data/directory/numeri_nazionali.csv (looked up there by their digits).
EMERGENCY, ANTIVIOLENZA, EMERGENZA_INFANZIA, TELEFONO_AZZURRO = "112", "1522", "114", "19696"
UNAR, ANTITRATTA, RETE_DAFNE = "800 90 10 10", "800 290 290", "800 91 91 08"

_PARTNER = r"(marito|moglie|compagn[oa]|ex|fidanzat[oa]|ragazzo|ragazza|convivente|partner|moroso|morosa)"
_INTIMATE = r"(foto|video|immagini|filmat\w*)( \w+){0,3} (intim\w*|nud\w*|os[eè]|hot|sexy|spoglia\w*|senza vestiti)"
_EVENT_PATTERNS = [  # first match wins: the most specific kinds come first
    (
        "tratta",
        r"\b(tratta (di esseri umani|delle persone|di persone)|vittima di tratta|madame|juju|"
        r"(stare|andare) con (gli )?uomini per (soldi|pagare)|sfruttat\w*|costrett\w* a "
        r"(lavorare|prostituir\w*|chiedere l elemosina)|(hanno|ha|tengono|tiene) (preso|tolto|sequestrato|"
        r"ritirato|il mio) (il |i miei )?(passaporto|documenti)|prostituir\w*|debito per il viaggio)\b",
    ),
    (
        "sextortion",
        r"\b(sextortion|sex extortion|ricatt\w*( \w+){0,6} (foto|video|immagini)|(foto|video|immagini)"
        r"( \w+){0,6} ricatt\w*|(pubblica|diffonde|manda|mandera|pubblichera|mette in giro)\w*( \w+){0,4} "
        r"(foto|video)( \w+){0,4} se non (pago|gli do|le do|mando)|(pagare|soldi)( \w+){0,6} "
        r"(altrimenti|senno|se no|oppure) (pubblica|manda|diffonde|mette|fa vedere)\w*( \w+){0,4} "
        r"(foto|video))\b",
    ),
    (
        "revenge_porn",
        r"\b(revenge porn|(deepfake|fotomontagg\w*)( \w+){0,6} (nud\w*|porno\w*|hot|intim\w*)|"
        r"(pubblicat|condivis|mandat|girat|diffus|postat|mess)\w*( \w+){0,4} "
        + _INTIMATE
        + r"|"
        + _INTIMATE
        + r"( \w+){0,4} (pubblicat|condivis|mandat|girat|diffus|postat|in giro|online|"
        r"sui social|nel gruppo|in rete)\w*)\b",
    ),
    (
        "phishing",
        r"\b(phishing|smishing|clonat\w*( \w+){0,2} carta|carta( \w+){0,2} clonat\w*|(sms|mail|email|e mail|"
        r"link|sito|pagina) (fals\w*|truffa|della banca fals\w*)|finta banca|falsa banca|finto (operatore|"
        r"consulente) (della banca|bancario)|svuotat\w* (il )?conto|(prelievi|addebiti|acquisti|bonifici?) "
        r"(che non ho fatto|non autorizzat\w*)|rubato (le )?credenziali|codici della carta|(truff\w*|fregat\w*|"
        r"raggirat\w*)( \w+){0,6} (su internet|online|on line|su un sito|sul sito|su subito|su vinted|"
        r"su marketplace))\b",
    ),
    (
        "discriminazione",
        r"\b(razzis\w*|discrimin\w*|omofob\w*|transfob\w*|perche sono (nero|nera|straniero|straniera|"
        r"rom|musulman\w*|ebre\w*|african\w*|gay|lesbica|trans)|odio razziale|per (la mia|il mio) "
        r"(religione|origine|colore|velo)|sporco negro|negro di merda|torna al tuo paese|tornatene|(cinese|african\w*|"
        r"nigerian\w*|marocchin\w*|rumen\w*|albanes\w*|nero|nera|rom|musulman\w*|ebre\w*|gay|lesbic\w*|"
        r"terron\w*)( \w+){0,8} (insult\w*|prend\w* in giro|offend\w*|sput\w*|deri\w*))\b",
    ),
    (
        "molestie_lavoro",
        r"\b(molest\w*|avances|palpeggi\w*|toccat\w*|mi tocca|battute spinte|commenti sessuali)"
        r"( \w+){0,8} (lavoro|ufficio|capo|capa|capoufficio|collega|colleghi|datore|titolare|"
        r"responsabile|caporeparto|azienda|negozio|turno|primario|direttore|direttrice|supervisore|"
        r"team leader)\b|\b(capo|capa|capoufficio|collega|datore di lavoro|titolare|responsabile|primario|"
        r"direttore|direttrice|supervisore|team leader)( \w+){0,4} (mi |ci )?(molest\w*|palpeggi\w*|"
        r"tocca|tocc\w*|fa (avances|battute|proposte)|mette le mani)\b|\bmobbing\b( \w+){0,3} molest\w*",
    ),
    (
        "violenza_sessuale",
        r"\b(violenza sessuale|stupr\w*|violentat\w*|abus\w* sessual\w*|molest\w*|toccat\w* (contro|"
        r"senza)|abusat\w*|abusi|costrett\w* (ad|a) (avere )?(rapporti|fare sesso|fare cose|"
        r"subire)|rapporti( sessuali)? (contro la mia volonta|senza il mio consenso|forzati|"
        r"non voluti)|mi ha (forzat\w*|obbligat\w*) (ad|a) (avere|fare) (rapporti|sesso))\b",
    ),
    (
        "violenza_domestica",
        r"\b((ha uccis[oa]|uccis[oa] da|ammazzat[oa] da|mort[oa] per mano d\w*)( \w+){0,3} ?"
        r"(mia madre|mia moglie|mia sorella|mia figlia|la moglie|la madre|la compagna|l ex|ex|"
        r"suo marito|il marito|il padre|il compagno|mio padre)|femminicidi\w*|(uccis|ammazzat)\w* (da|dal|dall|dallo) "
        r"(\w+ ){0,2}(" + _PARTNER[1:-1] + r"|padre|figlio|fratello)|(picchiat|maltrattat|menat|aggredit|minacciat|"
        r"insultat|umiliat|strangolat|spintonat|sequestrat|chius)\w* (da|dal|dalla|dallo) (mio |mia |"
        r"il mio |la mia )?("
        + _PARTNER[1:-1]
        + r"|padre|madre|patrigno|fratello|suocer[oa])\b|"
        + _PARTNER
        + r"( \w+){0,4} (ha (un |il )?coltello|sfondare|sfonda)|"
        r"mi (picchia|picchiava|mena|menava|ha picchiat\w*|ha menat\w*|maltratta|umilia|"
        r"insulta|controlla i soldi|tiene senza soldi|toglie i soldi|alza le mani|ha alzato le "
        r"mani|mette le mani addosso|ha messo le mani addosso|prende a (schiaffi|pugni|calci))|"
        r"maltratt\w*|violenza (domestica|in famiglia|psicologica|economica)|botte|schiaff\w*|"
        r"alza le mani|violent[oa]|" + _PARTNER + r"( \w+){0,3} mi tratta (male|come)|mi tratta (male|come) \w+ "
        r"(mio|il mio) " + _PARTNER + r")\b",
    ),
    (
        "stalking",
        r"\b(stalk\w*|perseguit\w*|mi (segue|seguiva|pedina|aspetta sotto casa)|appostat\w*|"
        r"non smette di (chiamarmi|scrivermi|cercarmi)|non mi lascia in pace|me lo trovo (sempre )?"
        r"(sotto casa|davanti)|lo trovo (sempre )?sotto casa|si fa trovare|ovunque (vado|io vada)|"
        r"localizzatore|gps (sotto|nella|attaccato))\b",
    ),
    (
        "bullismo",
        r"\b(bullismo|bulli|bullo|cyberbullismo|cyberbull\w*|bullizzat\w*|bullizza\w*)\b|"
        r"^(?!.*\b" + _PARTNER + r"\b)(?=.*\b(a scuola|in classe|compagn[ie] di (classe|scuola)|i compagni|"
        r"le compagne|all uscita|di (prima|seconda|terza)|(prima|seconda|terza) media|intervallo|ricreazione|"
        r"pulmino|scuolabus|prof)\b).*\b(picchi\w*|prend\w* in giro|insult\w*|lividi|deri\w*|esclud\w*|"
        r"chied\w* (i )?soldi|spinton\w*|minacci\w*)\b",
    ),
    (
        "truffa",
        r"\b(dicendo di essere|fingendosi|spacciandosi|si (e )?finto|si spacciava|truff\w*|raggir\w*|fregat\w*|finto (nipote|carabiniere|tecnico|avvocato|poliziotto|"
        r"funzionario)|finta (nipote|avvocata)|clonat\w*)\b",
    ),
    (
        "furto",
        r"\b(furto|rubat\w*|rubano|mi ruba|ci ruba|ruba i|derubat\w*|scippat\w*|scippo|rapina\w*|rapinat\w*|ladri|ladro|"
        r"borseggi\w*|sono entrati in casa|svaligiat\w*)\b",
    ),
    (
        "aggressione",
        r"\b(aggredit\w*|aggressione|picchiat\w*|pestat\w*|accoltellat\w*|ferit\w*|preso a "
        r"(pugni|calci|botte))\b",
    ),
    (
        "altro",
        r"\b(incendi\w*|dato fuoco|dat\w* alle fiamme|bruciat\w* (la|il|le) (macchina|auto|porta|negozio|"
        r"casa|cassetta)|minacce di morte|minacciat\w* di morte|usura|usurai\w*|strozzin\w*|pizzo|"
        r"estorsion\w*|diffamat\w*|diffamazion\w*|calunni\w*|furto d identita|a mio nome|sparat\w*|"
        r"vandal\w*|rigat\w* (la|l) (macchina|auto)|gomme (tagliate|bucate|squarciate)|pirata della strada|"
        r"investit\w*( \w+){0,4} (scappat\w*|fuggit\w*|andat\w* via)|avvelenat\w*|omissione di soccorso)\b",
    ),
]
_EVENTS = [(name, re.compile(p)) for name, p in _EVENT_PATTERNS]

_NUM = r"(\d{1,3})"
_WRITER_AGE = re.compile(r"\b(?:ho|io ho|compio|avro) " + _NUM + r" anni\b")
_PERSON_AGE = re.compile(r"\b(?:di|ha|con) " + _NUM + r" anni\b")
_OFFENDER_KIN = re.compile(r"\b(mio figlio|mia figlia|mio nipote|mia nipote)( \w+){0,4} (mi|ci) \w+")
_MINOR_WORDS = re.compile(
    r"\b(sono minorenne|non sono maggiorenne|la mia prof|il mio prof|i miei genitori non sanno|"
    r"sono in (prima|seconda|terza|quarta|quinta) (media|superiore|liceo|elementare)|"
    r"(prima|seconda|terza) media)\b"
)
_ELDERLY = re.compile(
    r"\b(anzian\w*|nonn[oaie]|pensionat[oaie]|vecchiett\w*|in pensione|"
    r"casa di riposo|rsa)\b"
)
_DISABLED = re.compile(
    r"\b(disabil\w*|handicap\w*|invalid\w*|non vedente|non udente|sedia a rotelle|cieca|cieco|"
    r"sord[oa]|autistic\w*|sindrome di down|legge 104|carrozzina|in carrozzella)\b"
)
_OTHER = re.compile(
    r"\b(mia (sorella|madre|mamma|amica|cugina|collega|vicina|zia|cognata|suocera|coinquilina)|"
    r"mio (fratello|padre|papa|amico|cugino|collega|vicino|zio|cognato|suocero|coinquilino)|una mia amica|un mio amico|un altra persona|"
    r"altra persona|qualcun altro|un conoscente|una conoscente|la mia vicina|il mio vicino|"
    r"mia madre|la mia migliore amica|il mio migliore amico)\b"
)
_VICTIM_VERBS = (
    r"(picchia\w*|maltratta\w*|minaccia\w*|segue|perseguita\w*|insulta\w*|molesta\w*|umilia\w*|"
    r"truffat\w*|derubat\w*|aggredit\w*|violentat\w*|abusat\w*|ricatta\w*|tratta male|stuprat\w*)"
)
_OTHER_IS_VICTIM = re.compile(
    r"\b(mia|mio|una mia|un mio) \w+( \w+){0,6} (e stat[oa]|viene|subisce|ha subito|"
    r"e vittima|l hanno|lo hanno|la hanno|e stata|e mort[oa]|e stat[oa] uccis[oa]|la|lo) ?" + _VICTIM_VERBS + r"?|"
    r"\b(la|lo|le|li) (picchia|maltratta|minaccia|segue|perseguita|insulta|molesta|umilia|"
    r"ricatta|hanno|ha)\b"
)
_ME = re.compile(
    r"\b(mi (picchia|ha|hanno|minaccia|segue|perseguita|insulta|maltratta|molesta|umilia|controlla|"
    r"tratta|alza|ricatta|tiene|toglie|ruba)|sono stat[oa] (\w+at[oa]|vittima)|ho subito|sono vittima|"
    r"io stess[oa]|ci hanno|voglio (farla finita|morire|uccidermi|ammazzarmi)|non voglio piu vivere|mi voglio "
    r"(uccidere|ammazzare)|il mio (conto|portafoglio|profilo|cellulare)|la mia (carta|macchina|auto|borsa|bici))\b|^(io|a me|sono io|proprio io|me|e successo a me|io stesso|"
    r"io stessa)$"
)
_FEMALE_KIN = (
    r"(sorella|sorellina|madre|mamma|amica|cugina|collega|vicina|zia|figlia|figlioccia|nipote|nonna|moglie|"
    r"compagna|fidanzata|cognata|suocera|coinquilina|ragazza|bambina|ragazzina|figliola|studentessa|alunna)"
)
_MALE_KIN = (
    r"(fratello|fratellino|padre|papa|amico|cugino|collega|vicino|zio|figlio|nipote|nonno|marito|compagno|"
    r"fidanzato|cognato|suocero|coinquilino|ragazzo|bambino|ragazzino|studente|alunno)"
)
_KIN = re.compile(
    r"\b(?:(mia|una mia|la mia)(?: \w+)? " + _FEMALE_KIN + r"|(mio|un mio|il mio)(?: \w+)? " + _MALE_KIN + r")\b"
)
_FEMININE_PARTICIPLE = r"\w+(ata|ita|uta|usa|esa|isa|ersa|inta|etta|otta|ista|essa|orta|ossa)"
_MASCULINE_PARTICIPLE = r"\w+(ato|ito|uto|uso|eso|iso|erso|into|etto|otto|isto|esso|orto|osso)"
_WOMAN_WRITER = re.compile(
    r"\b(sono (una|la) (?!persona\b|vittima\b|cosa\b|volta\b)\w+|sono (stata|rimasta|incinta|sola|"
    + _FEMININE_PARTICIPLE
    + r")\b|mi (ha|hanno) (gia |anche |di nuovo |sempre |ancora )?"
    + _FEMININE_PARTICIPLE
    + r"\b|"
    r"(vivo|resto|rimasta|abito) sola\b|da sola\b|ero (piccola|bambina|ragazzina|incinta)\b|siamo in tante\b|"
    r"ci siamo \w+(ate|ite|ute|esse|ette|inte)\b|io (donna|ragazza|femmina)\b|in quanto donna|sono femmina|"
    r"(foto|video)( \w+){0,2} nuda\b|sono (preoccupata|spaventata|terrorizzata|disperata|stanca|separata|sposata|"
    r"divorziata|anziana|arrabbiata|confusa))"
)
_MAN_WRITER = re.compile(
    r"\b(sono (un|uno) (?!po\b|attimo\b|bot\b)\w+|sono (stato|rimasto|" + _MASCULINE_PARTICIPLE + r")\b|"
    r"mi (ha|hanno) (gia |anche |di nuovo |sempre |ancora )?(picchiato|aggredito|minacciato|truffato|derubato|"
    r"violentato|abusato|seguito|insultato|ricattato|rapinato|accoltellato|pestato) (?!(la|il|i|le|un|una|mio|mia|"
    r"tutto|tutti)\b)|io (uomo|ragazzo|maschio)\b|in quanto uomo|sono maschio|sono un maschio|"
    r"(foto|video)( \w+){0,2} nudo\b|ero (piccolo|bambino|ragazzino)\b|sono (preoccupato|spaventato|terrorizzato|disperato|separato|sposato|divorziato))"
)
_REQUEST = (
    r"(cerco|cercavo|sto cercando|trovo|trovare|mi serve|mi servirebbe|ho bisogno di|vorrei|voglio|numero|contatto|"
    r"contattare|contatti|indirizzo|dove|c e|esiste|ci sono|quale|qual e|orari|aperto|aperta|mi date|mi dai)"
)
_SERVICE_PATTERNS = [
    ("polizia_postale", r"\b(polizia postale|postale|commissariato online|commissariatodips)\b"),
    (
        "centro_antiviolenza",
        r"\b(centr\w* anti ?violenza|cav|casa rifugio|case rifugio|casa delle donne|"
        r"centro per (le )?donne|sportello (ascolto )?donne)\b",
    ),
    (
        "servizi_sociali",
        r"\b(servizi\w* social\w*|assistent\w* social\w*|consorzio socio assistenziale|"
        r"servizio sociale|consorzio dei servizi)\b",
    ),
    (
        "sportello_vittime",
        r"\b(sportell\w*( \w+){0,3} vittim\w*|rete dafne|supporto (alle )?vittime|"
        r"aiuto alle vittime|assistenza (alle )?vittime|servizio (che aiuta|per) (le )?vittime)\b",
    ),
    ("avvocato", r"\b" + _REQUEST + r"( \w+){0,4} (avvocat\w*|legale|penalista|civilista)\b|^(avvocat\w*|legale)\b"),
    (
        "psicologo",
        r"\b" + _REQUEST + r"( \w+){0,4} (psicolog\w*|psicoterapeut\w*|terapeut\w*)\b|"
        r"\b(supporto|sostegno|aiuto) psicologico\b",
    ),
    (
        "polizia",
        r"\b(" + _REQUEST + r"( \w+){0,5} (polizia|carabinier\w*|questura|commissariato|caserma)|"
        r"(polizia|carabinieri|questura|commissariato|caserma)( \w+){0,2} (piu vicin\w*|di zona|aperta|aperto))\b",
    ),
]
_SERVICES = [(name, re.compile(p)) for name, p in _SERVICE_PATTERNS]


def _first(patterns, plain: str) -> Optional[str]:
    return next((name for name, pattern in patterns if pattern.search(plain)), None)


# -- learned part -------------------------------------------------------------------------------
LEARNED_THRESHOLD = 0.3  # the classifier's answer (16 labels) is taken only when it is at least this sure
LEARNED_VICTIM_THRESHOLD = 0.6


def labelled_examples(folder=NLU_DIR) -> Dict[str, List[Tuple[str, str]]]:
    """(text, label) pairs for event and victim, read from the `metadata` of the blocks of data/nlu.
    A block of an intent that is not a story (greet, kb_*, ...) teaches `none` (nothing told)."""
    pairs: Dict[str, List[Tuple[str, str]]] = {"event": [], "victim": []}
    for path in sorted(folder.glob("*.yml")):
        for intent, meta, examples in nlu_data.blocks(path):
            if intent in ("empty_message", "media_message", "message_too_long"):
                continue
            stories = intent in ("report_crime", "inform", "find_service")
            for dimension in pairs:
                # a story without a label for this dimension teaches nothing about it
                label = meta.get(dimension) or (None if stories else "none")
                if label:
                    pairs[dimension].extend((text, label) for text in examples)
    return pairs


def text_classifier():
    """An untrained classifier of short texts: word (1-2) and character (2-5) n-grams of the normalised
    text, logistic regression (fast, no GPU). Shared by the readers here and assistant.legal_question."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(preprocessor=normalise, ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=normalise, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                ),
            ),
        ]
    )
    return make_pipeline(features, LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced"))


@lru_cache(maxsize=None)
def _learned():
    """One classifier per dimension (text_classifier), trained on the labelled examples."""
    models = {}
    for dimension, pairs in labelled_examples().items():
        if len({label for _, label in pairs}) < 2:
            continue
        model = text_classifier()
        model.fit([t for t, _ in pairs], [label for _, label in pairs])
        models[dimension] = model
    return models


def warm() -> None:
    """Train the learned readers now (at start-up), not on the first message that needs them."""
    _learned()


def learned(dimension: str, text: str) -> Tuple[Optional[str], float]:
    """The classifier's label for `text` (None for `none`) and how sure it is (0-1)."""
    model = _learned().get(dimension)
    if model is None or not normalise(text):
        return None, 0.0
    probabilities = model.predict_proba([text])[0]
    best = int(probabilities.argmax())
    label = model.classes_[best]
    return (None if label == "none" else label), float(probabilities[best])


def _learned_label(dimension: str, text: str) -> Optional[str]:
    label, confidence = learned(dimension, text)
    return label if confidence >= LEARNED_THRESHOLD else None


# -- public classifiers -------------------------------------------------------------------------
# A partner or a relative who hits the writer ("mio marito ieri sera mi ha dato un pugno"): an assault at home is
# domestic violence (LABELS.md §2), whoever the words of the blow are.
_KIN_HITS_ME = re.compile(
    r"\b(mio|mia|il mio|la mia) (marito|moglie|compagn[oa]|ex(?! (collega|capo|vicin\w*|datore))|ex marito|ex moglie|"
    r"fidanzat[oa]|convivente|partner|padre|papa|madre|mamma|patrigno|matrigna|fratello|sorella|figlio|figlia|"
    r"suocer[oa]|cognat[oa])\b( \w+){0,4} (mi|ci) (ha|hanno) (dato (un|uno|una|due|tanti) (pugn|schiaff|calci|"
    r"ceffon|spinton|testat)\w*|picchiat\w*|colpit\w*|aggredit\w*|spint[oa]|strattonat\w*|menat\w*|"
    r"pres[oa] a (calci|pugni|schiaffi|botte))"
)


def classify_event(text: str) -> Optional[str]:
    """What happened: a pattern when one matches, otherwise the classifier when it is sure enough."""
    plain = normalise(text)
    if not plain or plain.startswith("/"):
        return None
    found = _first(_EVENTS, plain)
    if found or general_question(text):
        found = found if found and not general_question(text) else None
    else:
        found = _learned_label("event", text)
    if found == "aggressione" and _KIN_HITS_ME.search(plain):
        found = "violenza_domestica"
    return found


STORY_CONFIDENCE = 0.6  # the learned reader's confidence for "this tells what happened" (tells_a_story)


def tells_a_story(text: str) -> bool:
    """The message tells what happened ("è per mia mamma, il suo compagno la tratta male") and is not a
    general question: a pattern of classify_event, or its learned reader when it is quite sure."""
    plain = normalise(text)
    if not plain or plain.startswith("/") or general_question(text):
        return False
    if _first(_EVENTS, plain) is not None:
        return True
    label, confidence = learned("event", text)
    return label is not None and confidence >= STORY_CONFIDENCE


def age_of_victim(text: str) -> Optional[int]:
    """The age said in the message ("ho 15 anni", "mia figlia di 14 anni"), if any."""
    plain = normalise(text)
    match = _WRITER_AGE.search(plain) or _PERSON_AGE.search(plain)
    if match and 0 < int(match.group(1)) < 120:
        return int(match.group(1))
    return None


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici quattordici quindici sedici "
        "diciassette diciotto diciannove venti".split()
    )
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r") (anni|mesi)\b")


def _ages(plain: str) -> Tuple[Optional[int], Optional[int]]:
    """(the writer's age, the age of a person named before "di N anni" / "ha N anni"), when said;
    numbers in words count too ("un bambino di nove anni")."""
    plain = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(1)] + " " + m.group(2), plain)
    writer = (
        _WRITER_AGE.search(plain)
        or re.search(r"\bsono (?:un|una|uno) \w+(?: \w+)? di " + _NUM + r" anni\b", plain)
        or re.match(r"^(?:\w+ )?" + _NUM + r" anni\b", plain)
    )
    rest = plain[: writer.start()] + plain[writer.end() :] if writer else plain
    person = re.search(
        r"\b(figli[oa]|bambin[oa]|ragazz[oa]|ragazzin[oa]|nipot[ei]|nipotin[oa]|alunn[oa]|studente|"
        r"studentessa|fratell\w*|sorell\w*|padre|madre|mamma|papa|zi[oa]|vicin[oa]|nonn[oa]|suocer[oa]|"
        r"amic[oa]|cugin[oa]|signor[ea]?|uomo|donna)( \w+){0,3} (?:di|ha|che ha|con) " + _NUM + r" anni\b",
        rest,
    )
    return (int(writer.group(1)) if writer else None, int(person.group(person.lastindex or 0)) if person else None)


def _victim_by_rules(plain: str) -> Optional[str]:
    """High-precision cues only: ages said, disability, old age, a minor writing, a relative as the victim."""
    writer_age, person_age = _ages(plain)
    if _KIN_AS_OBJECT.search(plain):  # "mio padre picchia mia madre": the relative is the victim
        return "altra_persona"
    if person_age is not None and not _OFFENDER_KIN.search(plain):
        return "minore" if person_age < 18 else "anziano" if person_age >= 65 else "altra_persona"
    if writer_age is not None:
        if writer_age < 18:
            return "minore"
        if writer_age >= 65:
            return "anziano"
    if _DISABLED.search(plain):
        return "disabile"
    if _ELDERLY.search(plain) and not re.search(r"\bnonn[oa] (mi|ci)\b|\bsiamo i nonni\b", plain):
        return "anziano"
    if writer_age is None and (_MINOR_WORDS.search(plain) or re.search(r"\bminorenn[ei]\b", plain)):
        return "minore"
    if _OTHER.search(plain) and _OTHER_IS_VICTIM.search(plain):
        return "altra_persona"
    if _ME.search(plain):
        return "io"
    return None


_KIN_AS_OBJECT = re.compile(
    r"\b(picchia|picchiando|maltratta|minaccia|umilia|insulta|violenta|mena|segue|"
    r"perseguita|ricatta) (mia|mio) (madre|mamma|sorella|moglie|padre|papa|fratello|nonna|"
    r"nonno|zia|zio|cugina|cugino|amica|amico)\b"
)
_PERSONAL = re.compile(
    r"\b(mi|me|mio|mia|miei|mie|io|ho|sono|ero|stata|stato|noi|ci|nostro|nostra|nostri|"
    r"abbiamo|siamo)\b"
)
_GENERAL_QUESTION = re.compile(
    r"^(come|cosa|che|chi|quando|quanto|quanti|dove|perche|qual|quale|quali|e vero|esiste|"
    r"esistono|c e|ci sono|vale|si puo|serve|in generale|cerco|vorrei sapere)\b"
)


def general_question(text: str) -> bool:
    """A question about the law or the services in general, with nothing told about the writer or
    someone close ("il codice rosso vale anche per lo stalking?"): no event and no victim in it."""
    plain = normalise(text)
    return bool(plain) and not _PERSONAL.search(plain) and ("?" in text or bool(_GENERAL_QUESTION.match(plain)))


def classify_victim(text: str) -> Optional[str]:
    """Who the victim is: a pattern when one matches, otherwise the classifier when it is sure enough,
    otherwise `io` when the message tells something that happened and speaks in the first person."""
    plain = normalise(text)
    if not plain or plain.startswith("/"):
        return None
    if general_question(text):
        return None
    found = _victim_by_rules(plain)
    if found:
        return found
    label, confidence = learned("victim", text)
    if label and confidence >= LEARNED_VICTIM_THRESHOLD:
        return label
    if classify_event(text) and _PERSONAL.search(plain):
        return "io"
    return None


def _writer_gender(plain: str) -> Optional[str]:
    woman, man = _WOMAN_WRITER.search(plain), _MAN_WRITER.search(plain)
    if woman and man:  # the first thing said about oneself ("sono un uomo ... sono stanca" is rare)
        return "donna" if woman.start() < man.start() else "uomo"
    return "donna" if woman else "uomo" if man else None


def _kin_gender(plain: str) -> Optional[str]:
    """The relative who is the victim: the one after the verb ("mio padre picchia mia madre"), unless the
    first one named is told as the victim ("mia sorella è stata ...")."""
    found = list(_KIN.finditer(plain))
    found = [k for k in found if not re.match(r"\s+(mi|ci)\b", plain[k.end() :])]  # "mio figlio mi picchia"
    if not found:
        return None
    first = found[0]
    passive = re.match(
        r"(\s+\w+){0,4}\s+(e stat[oa]|viene|subisce|ha subito|e vittima|e mort[oa]|e stat[oa])\b", plain[first.end() :]
    )
    chosen = first if passive or len(found) == 1 else found[-1]
    return "donna" if chosen.group(1) else "uomo"


def classify_gender(text: str, victim: Optional[str] = None) -> Optional[str]:
    """The victim's gender, only when said: the writer's own words ("sono stata", "sono un uomo", "vivo
    sola"), or the relative named as the victim ("mia sorella"). Never from the offender alone ("mio marito")."""
    plain = normalise(text)
    if not plain:
        return None
    writer_age, _ = _ages(plain)
    writer = _writer_gender(plain)
    if victim == "altra_persona":
        return _kin_gender(plain) or (
            "donna"
            if re.search(r"\b(una|la) (ragazza|donna|signora|bambina|ragazzina)\b", plain)
            else "uomo"
            if re.search(r"\b(un|il) (ragazzo|uomo|signore|bambino|ragazzino)\b", plain)
            else None
        )
    if victim in ("minore", "anziano", "disabile") and writer_age is None and not writer:
        kin = _kin_gender(plain)
        if kin:
            return kin
        if re.search(r"\b(anziana|signora|bambina|ragazzina)\b", plain):
            return "donna"
        if re.search(r"\b(anziano|signore|bambino|ragazzino)\b", plain):
            return "uomo"
        return None
    return writer


def classify_service(text: str) -> Optional[str]:
    """The kind of service the person asks for by name, if any."""
    return _first(_SERVICES, normalise(text))


def understand(text: str) -> Dict[str, Optional[object]]:
    """Everything a message says for the triage, for the slots of domain.yml: cosa_successo,
    chi_vittima, genere_vittima, servizio_richiesto, eta_vittima (None where the message does not say)."""
    victim = classify_victim(text)
    return {
        "cosa_successo": classify_event(text),
        "chi_vittima": victim,
        "genere_vittima": classify_gender(text, victim),
        "servizio_richiesto": classify_service(text),
        "eta_vittima": age_of_victim(text),
    }


_CASE_MAN = re.compile(r"\b(uomo|uomini|maschio|maschi|un signore|mio marito|mio padre|mio compagno)\b")
_CASE_WOMAN = re.compile(r"\b(donna|donne|femmina|una signora|mia moglie|mia madre|mia compagna)\b")


def case_of(text: str) -> Dict[str, Optional[str]]:
    """The case a follow-up names ("e per una truffa invece?", "e se sono minorenne?", "e per un uomo?"):
    event, victim and gender, read even from a question (what `understand` leaves to the question)."""
    plain = normalise(text)
    victim = _victim_by_rules(plain)
    age = age_of_victim(text)
    if age is not None and age < 18:
        victim = "minore"
    gender = "uomo" if _CASE_MAN.search(plain) else "donna" if _CASE_WOMAN.search(plain) else None
    return {"event": _first(_EVENTS, plain), "victim": victim if victim in _CASE_VICTIMS else None, "gender": gender}


_CASE_VICTIMS = ("minore", "anziano", "disabile")


def followup_case(text: str) -> Optional[Dict[str, Optional[str]]]:
    """The case of a follow-up on the last topic ("e per una truffa invece?"), or None when the message
    is not a short follow-up or names no event, age group or gender ("e se lui torna?")."""
    if not knowledge.is_followup(text):
        return None
    facts = case_of(text)
    return facts if any(facts.values()) else None


# -- routing ------------------------------------------------------------------------------------
@dataclass
class Plan:
    """Which kinds of service and which helplines fit the triage answers (a row of content/routing.yml)."""

    services: List[str]
    numbers: List[str]
    phone_fallback: str
    topics: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # texts that say whom each service serves, links
    links: List[str] = field(default_factory=list)
    rows: List[str] = field(default_factory=list)  # ids of the routing rows used (for tests and logs)


def routing() -> Dict:
    """The routing table, content/routing.yml."""
    return content.load("routing")


def _matches(when: Dict, facts: Dict) -> bool:
    for key, allowed in (when or {}).items():
        if key == "age_min":
            if facts["age"] is None or facts["age"] < allowed:
                return False
        elif (facts.get(key) or "none") not in allowed:
            return False
    return True


def _known(value: Optional[str]) -> Optional[str]:
    return None if value in (None, "", SKIPPED, "altro_valore") else value


def _unique(items: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(items))


def plan_for(
    cosa: Optional[str],
    chi: Optional[str],
    genere: Optional[str] = None,
    servizio: Optional[str] = None,
    eta: Optional[int] = None,
) -> Plan:
    """The plan for an event, a victim, the victim's gender, a requested service and a minor's age
    (each may be None or non_detto): the requested service first, then the route of the event/victim."""
    table = routing()
    facts = {
        "event": _known(cosa),
        "victim": _known(chi),
        "gender": _known(genere),
        "service": _known(servizio),
        "age": eta,
    }
    route = next(row for row in table["routes"] if _matches(row.get("when"), facts))
    asked = (
        next((row for row in table["requested"] if _matches(row.get("when"), facts)), None)
        if facts["service"]
        else None
    )
    parts = [row for row in (asked, route) if row]
    notes = _unique(key for row in parts for key in row.get("notes", []))
    return Plan(
        services=_unique(s for row in parts for s in row.get("services", [])),
        numbers=_unique([n for row in parts for n in row.get("numbers", []) if n != EMERGENCY] + [EMERGENCY]),
        phone_fallback=route.get("fallback", RETE_DAFNE),
        topics=_unique(t for row in parts for t in row.get("topics", [])),
        notes=[" ".join(table["notes"][key].split()) for key in notes],
        links=_unique(table["links"][key] for row in parts for key in row.get("links", [])),
        rows=[row["id"] for row in parts],
    )


def texts() -> Dict:
    """The triage's texts, content/triage.yml."""
    return content.load("triage")


def _source_name(url: str) -> str:
    first = (url or "").split("|")[0].strip()
    host = urlparse(first if "://" in first else "https://" + first).hostname or first
    return host[4:] if host.startswith("www.") else host


def _date(value: str) -> str:
    parts = value.split("-")
    return "/".join(reversed(parts))


def _where(service: Dict, comune: str, t: Dict) -> str:
    """Coverage says who serves the comune; "il più vicino" only when distance decided."""
    if service.get("copertura") == "comune":
        return t["covers_comune"].format(comune=comune)
    if service.get("copertura") == "provincia":
        return t["province"]
    km = service.get("distance_km")
    if km is None:
        return ""
    nearest = service.get("piu_vicino")
    if km == 0:
        return t["nearest_same_comune"] if nearest else t["same_comune"]
    return t["nearest_distance" if nearest else "distance"].format(km=str(km).replace(".", ","), comune=comune)


def render_service(service: Dict, comune: str, fallback: str) -> str:
    """One service card; a service with no way to reach it gets the fallback line instead of a card."""
    t = texts()["result"]
    if not service.get("reachable", True):
        key = "unreachable_social" if service["tipo"] == m.ENTE_GESTORE else "unreachable"
        return t[key].format(nome=service["nome"], comune=comune, fallback=fallback)
    where = _where(service, comune, t)
    head = service["nome"] + (
        f" ({service['comune']}, {where})" if service.get("comune") and where else f" ({where})" if where else ""
    )
    lines = [head]
    phones = list(service.get("telefoni") or [])
    if service.get("telefono_h24"):
        phones.append(f"{service['telefono_h24']} (24 ore su 24)")
    if service.get("numero_verde"):
        verde = service["numero_verde"]
        phones.append(verde if "verde" in verde else f"{verde} (numero verde)")
    if service["tipo"] == m.CASA_RIFUGIO:
        lines.append(t["shelter"])
    elif service.get("indirizzo"):
        lines.append(t["address"].format(indirizzo=service["indirizzo"]))
    elif service["tipo"] != m.LINEA_NAZIONALE and phones:
        lines.append(t["address_missing"])
    missing = t["phone_missing_social"] if service["tipo"] == m.ENTE_GESTORE else t["phone_missing"]
    lines.append(t["phone"].format(telefono=", ".join(phones)) if phones else missing.format(fallback=fallback))
    if service.get("email"):
        lines.append(t["email"].format(email=service["email"]))
    if service.get("sito"):
        lines.append(t["website"].format(sito=service["sito"]))
    if service.get("orari"):
        lines.append(t["hours"].format(orari=service["orari"]))
    fonte = _source_name(service["fonte_url"])
    if service.get("verificato_il"):
        lines.append(t["source_verified"].format(fonte=fonte, data=_date(service["verificato_il"])))
    elif service.get("fonte_data_recente"):
        lines.append(t["source"].format(fonte=fonte, data=_date(service["fonte_data_recente"])))
    else:
        lines.append(t["source_undated"].format(fonte=fonte))
    if service.get("stale"):
        lines.append(t["stale"])
    return "\n".join(lines)


def _national_line(number: str) -> Optional[str]:
    """ "1522 - Numero antiviolenza e stalking (24 ore su 24...)", from the directory; None if not there."""
    line = directory().national(number)
    if not line:
        return None
    return texts()["result"]["national_line"].format(
        numero=line["telefoni"][0], nome=line["nome"], orari=line["orari"] or "orari non indicati"
    )


def _national_lines(numbers: List[str]) -> str:
    lines = [texts()["result"]["national_title"]]
    lines += [line for line in map(_national_line, numbers) if line]
    return "\n".join(lines)


def opening_lines(
    cosa: Optional[str],
    chi: Optional[str],
    genere: Optional[str] = None,
    servizio: Optional[str] = None,
    eta: Optional[int] = None,
    limit: int = 2,
) -> str:
    """The plan's helplines but 112, and where to report online, for the first reply of a triage ("" when
    there are none)."""
    plan = plan_for(cosa, chi, genere, servizio, eta)
    numbers = [n for n in plan.numbers if n != EMERGENCY][:limit]
    lines = [line for line in map(_national_line, numbers) if line]
    # where to report online ("www.commissariatodips.it"): the notes that carry the plan's links
    lines += [note for note in plan.notes if any(link in note for link in plan.links)]
    return "\n".join([texts()["opening"]["title"]] + lines) if lines else ""


def reply(
    istat: Optional[str],
    cosa: Optional[str],
    chi: Optional[str],
    genere: Optional[str] = None,
    servizio: Optional[str] = None,
    eta: Optional[int] = None,
) -> List[str]:
    """The messages that answer the triage: services near the comune (if known), helplines, and whom
    each kind of service serves (the notes of the routing table)."""
    t = texts()["result"]
    plan = plan_for(cosa, chi, genere, servizio, eta)
    messages: List[str] = []
    d = directory()
    if istat:
        comune = d.comuni[istat].nome
        messages.append(t["header"].format(comune=comune))
        stale_at = len(messages)
        stale = False
        for tipo in plan.services:
            found = d.nearest(istat, tipo, limit=1 if tipo == m.ENTE_GESTORE else 2)
            stale = stale or any(s["stale"] and s["reachable"] for s in found)
            cards = "\n\n".join(render_service(s, comune, plan.phone_fallback) for s in found)
            if tipo == m.ENTE_GESTORE:
                messages.append(f"{t['social_title']}\n{cards or t['social_missing'].format(comune=comune)}")
            else:
                messages.append(cards or t["none_reachable"].format(fallback=plan.phone_fallback))
        line = d.national(plan.phone_fallback) if stale else None
        if line:  # data that may be out of date: the fitting regional or national line comes first
            messages.insert(stale_at, t["stale_first"].format(numero=line["telefoni"][0], nome=line["nome"]))
    else:
        messages.append(t["header_national"])
    messages.append(_national_lines(plan.numbers))
    if plan.notes:
        messages.append("\n".join(plan.notes))
    messages.append(t["closing"])
    return messages
