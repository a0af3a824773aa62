"""Signs of immediate danger in a message, found without any model.

The NLU pipeline (``rasa_addons/components/overrides.py``) calls :func:`assess` on every message, before any slot is
filled or any form validated, and turns a match into the ``emergency`` or ``self_harm`` intent, so that
112 is given on any turn even when the classifier is unsure.

How a message is read:
1. it is cut into clauses at punctuation and at "ma", "però", "mentre", "quando", "anche se";
2. in each clause the danger patterns are searched (written on text that is lower-case, without accents and
   with apostrophes turned into spaces);
3. a match does not count when the clause negates it — a negation ("non", "nessuno", …) governs the verb
   right after it (with its clitics, and the words after an auxiliary such as "è", "sta", "sono"), so in
   "non so cosa fare, mi sta picchiando" nothing is negated, while "non è in casa adesso" is; a negation
   inside a conditional ("se non apro sfonda la porta") governs only the conditional;
4. a match inside the conditional itself ("se mi picchia cosa faccio?") is a hypothesis, not a fact;
5. a clause that places the facts in the past ("ieri", "anni fa", "quando stavamo insieme") does not count
   unless it also says "adesso", "ora", "stasera", …;
6. the weaker signs (a weapon named, a threat to kill) count only with a sign of "now" or in a statement,
   not in a question about the law ("è reato se …?").
7. when no rule speaks, a small learned model (:mod:`assistant.danger_model`, trained on hand-written
   examples) may still say "danger" — but not when a rule found the danger words negated, conditional,
   in the past or in a question about the law, nor when the message says the person is safe.
It errs on the side of answering with 112: a false alarm costs one extra line, a miss costs more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

from assistant.text import normalise

VIOLENCE, SELF_HARM = "violence", "self_harm"


@dataclass(frozen=True)
class Danger:
    kind: str  # VIOLENCE or SELF_HARM
    evidence: str  # the words that showed it (normalised)


_OBJ = r"(?:(?:mi|ti|ci|vi|la|lo|li|le|gli) )?"
_VIOLENT_GERUNDS = (
    r"picchiando|menando|colpendo|prendendo a (?:calci|pugni|schiaffi|botte|cinghiate|bastonate|mazzate|sprangate|sberle)|strangolando|"
    r"strozzando|soffocando|aggredendo|accoltellando|sparando|minacciando|inseguendo|seguendo|"
    r"rincorrendo|pedinando|sfondando|rompendo|spaccando|buttando giu|sbattendo|trascinando|"
    r"tirando (?:oggetti|cose|roba)|violentando|toccando|ammazzando|uccidendo|massacrando|"
    r"entrando|arrivando|salendo|tornando|venendo|urlando|gridando|lanciando|bruciando|"
    r"facendo (?:del )?male|molestando|palpeggiando|tenendo|bloccando|forzando|spingendo|strattonando|"
    r"pestando|scassando|dando (?:dei |delle )?(?:colpi|calci|pugni|botte|schiaffi|mazzate|sberle)|"
    r"tirando (?:calci|pugni|schiaffi|sberle|oggetti|cose|roba|i capelli)|chiedendo aiuto|"
    r"cercando di (?:entrare|saltare|aprire|sfondare|prendermi|prenderci|colpir\w*|strangolar\w*|"
    r"ammazzar\w*|uccider\w*|portarmi via|portarla via|portarli via)|sbattendo (?:contro|la testa)|"
    r"minacciando (?:con|di)|battendo|bussando|martellando|alzando le mani|affilando|tappando|"
    r"cercando|aspettando|scendendo|puntando|sfregiando|accerchiando|circondando"
)
_VIOLENT_PRESENT = (
    r"picchia|mena|colpisce|prende a (?:calci|pugni|schiaffi)|strangola|strozza|soffoca|aggredisce|"
    r"minaccia|insegue|segue|tocca|violenta|sta addosso|fa male|tira addosso|spinge|trascina|urla|"
    r"pugni|calci|schiaffi|botte|mazzate|legnate|bastonate|cinghiate|sberle"
)
_PLACES = (
    r"qui|qua|di la|davanti a me|accanto a me|dietro di me|vicino a me|di fianco a me|dietro la porta|alla porta|fuori dalla porta|fuori casa mia|qui fuori|la fuori|sotto casa|"
    r"in casa|dentro casa|davanti (?:a|al) (?:casa|portone|cancello)|sulle scale|nel palazzo|in cortile|"
    r"in giardino|nell altra stanza|in salotto|in cucina|in camera|al portone|al citofono|fuori dalla scuola|"
    r"giu con la macchina|giu in strada|qui sotto|in corridoio|nel corridoio|sul pianerottolo"
)
_WEAPONS = (
    r"coltell\w*|ascia|balestra|taglierin\w*|cutter|tirapugni|pugnale|rasoio|pistol\w*|fucil\w*|lama|arma|armi|forbici|martell\w*|accetta|mannaia|spranga|bastone|"
    r"mazza|cacciavite|machete|tagliacarte|bottiglia rotta|curtiello|cortello"
)
_KILL = r"(?:uccid|ammazz|ammaz|sgozz|strangol|accoltell|sparar|bruciar|massacr|far fuori|fare fuori|accid)\w*"
_SELF_VERBS = (
    r"farla finita|finirla|uccidermi|ammazzarmi|togliermi la vita|togliermi di mezzo|morire|suicidarmi|"
    r"buttarmi|lanciarmi|gettarmi|tagliarmi|spararmi|impiccarmi|avvelenarmi|farmi del male|"
    r"sparire per sempre|chiudere con la vita|schiantarmi|andare contro (?:il|un|una) \w+"
)

# (kind, strong?, pattern). Strong signs need no "now"; weak ones need a sign of "now" or a plain statement.
_PATTERNS: List[Tuple[str, bool, str]] = [
    # violence in progress, to the writer or to anyone with them
    (VIOLENCE, True, rf"\b(?:sta|stanno|stava adesso) {_OBJ}(?:{_VIOLENT_GERUNDS})\b"),
    (VIOLENCE, True, r"\b(?:sta|stanno) per (?:entrare|arrivare|salire|sfondare|colpir\w*|picchiar\w*|" + _KILL + r")"),
    (VIOLENCE, True, rf"\b(?:e|sta|stanno|c e|ce|si trova|si e nascosto) (?:ancora )?(?:{_PLACES})\b"),
    (
        VIOLENCE,
        True,
        r"\be (?:appena )?(?:tornato|tornata|rientrato|rientrata|entrato|entrata|arrivato|arrivata) "
        r"(?:a casa|qui|in casa|ubriaco|drogato|fuori di se|arrabbiat\w*|prima|dal balcone|dalla finestra|dalla porta|"
        r"dal retro|urlando|con)",
    ),
    (VIOLENCE, True, r"\bho paura che (?:mi )?(?:entri|sfondi|salga|arrivi|rientri|mi trovi|apra la porta)\b"),
    (
        VIOLENCE,
        True,
        r"\b(?:sfond\w*|sfondare|butta giu|buttare giu|prende a calci|spacca) (?:la|le) (?:porta|porte|finestra)",
    ),
    (
        VIOLENCE,
        True,
        r"\bmi (?:stringe|strizza|tiene per|afferra per|ha preso per|prende per|sta stringendo) (?:il|al) collo",
    ),
    (VIOLENCE, True, r"\bnon (?:riesco (?:piu )?a |posso )?respir\w*"),
    (VIOLENCE, True, r"\bmi (?:soffoca|strozza|strangola)\b"),
    (
        VIOLENCE,
        True,
        rf"\b(?:ha|tiene|ha preso|prende|ha tirato fuori|tira fuori|impugna|brandisce|agita|punta|mi punta|"
        rf"ha in mano|con in mano) (?:in mano )?(?:un|il|la|una|l|dei|delle|le) (?:{_WEAPONS})\b",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:mi|ci|lo|la|li|le) (?:ha|hanno) (?:chius\w*|rinchius\w*|segregat\w*|chiusa a chiave|"
        r"chiuso a chiave|legat\w*) (?:in|dentro|a chiave|nel|nella|nello)\b",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:sono|siamo) (?:chius\w*|rinchius\w*|segregat\w*|legat\w*) (?:in|dentro|a chiave|nel|nella|da)\b",
    ),
    (VIOLENCE, True, r"\bmi (?:tiene|tengono) (?:chius\w*|rinchius\w*|prigionier\w*|segregat\w*)"),
    (VIOLENCE, True, r"\bnon mi (?:fa|lascia) (?:uscire|scappare|andare via)\b"),
    (VIOLENCE, True, rf"\b(?:mi|ci|la|lo|li|ti|le) (?:vuole|vogliono|sta per|stanno per) {_KILL}"),
    (
        VIOLENCE,
        True,
        r"\b(?:stasera|stanotte|oggi|adesso|ora|appena (?:torna|rientra|arriva|esce)) "
        r"(?:\w+ ){0,3}(?:mi|ci|la|lo|ti|li|le) (?:ammazza|uccide|fa fuori|massacra|ammazzera|uccidera|"
        r"fara fuori|ammazzano|uccidono)\b",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:mi|ci|la|lo|ti|li|le) (?:ammazza|uccide|fa fuori|massacra|ammazzera|uccidera|ammazzano|"
        r"uccidono) (?:\w+ ){0,3}(?:stasera|stanotte|oggi|adesso|appena (?:torna|rientra|arriva))\b",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:sto|sta|stiamo|stanno) sanguinando\b|\bperd(?:o|e) (?:molto |tanto )?sangue\b|\bsanguino\b",
    ),
    (VIOLENCE, True, r"\b(?:sono|siamo|e|sei|sta|stiamo|stanno) in pericolo\b|\bpericolo (?:di vita|immediato)\b"),
    (VIOLENCE, True, r"\bnon (?:sono|siamo) al sicuro\b|\bnon (?:sono|siamo) (?:piu )?al sicuro\b"),
    (VIOLENCE, True, r"\baiuto aiuto\b|\baiutatemi subito\b|\baiutami subito\b|\b(?:e|questa e) un emergenza\b"),
    (
        VIOLENCE,
        True,
        r"\b(?:chiamate|chiamami|chiamatemi|mandate|mandatemi|chiama) (?:la polizia|i carabinieri|il 112|"
        r"il 113|qualcuno|aiuto|un ambulanza|l ambulanza)\b",
    ),
    (VIOLENCE, True, r"\bmi sono (?:chius\w*|nascost\w*|barricat\w*) (?:in|nel|nella|dentro|a chiave|sotto)\b"),
    (VIOLENCE, True, r"\bsto scappando\b|\bsono scappat\w* (?:adesso|ora|in questo momento|proprio ora)\b"),
    (VIOLENCE, True, r"\b(?:me le|te le|gliele|ce le|gliene) (?:sta|stanno) dando\b"),
    (
        VIOLENCE,
        True,
        r"\b(?:sto|sta|stiamo|stanno) (?:venendo|essendo) (?:picchiat|aggredit|violentat|minacciat|seguit|"
        r"colpit|molestat|pestat|inseguit|strangolat)\w*",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:sento|si sentono|si sente|sentiamo|ho sentito|abbiamo sentito) (?:\w+ ){0,5}(?:schiaffi|"
        r"colpi|urla|urlare|urlava|urlando|grida|gridare|gridando|botte|sbattere|rompere|spaccare|piangere|"
        r"chiedere aiuto|le sue chiavi|la chiave|i suoi passi|la sua macchina|la sua voce|che cammina|"
        r"che sale|che entra|bussare|che bussa|suonare il campanello|aprire la porta)\b",
    ),
    (VIOLENCE, True, r"\b(?:grida|urla|chiede|gridano|urlano) aiuto\b"),
    (
        VIOLENCE,
        True,
        r"\bcontinua (?:a|ad) (?:sbattere|colpir\w*|picchiar\w*|prender\w*|urlar\w*|bussare|dar\w*|"
        r"tirar\w*|spinger\w*|minacciar\w*|menar\w*|strangolar\w*|dare pugni|dare calci)\b|"
        r"\bnon (?:la |lo |mi )?smette (?:piu|di (?:picchiar\w*|colpir\w*|urlar\w*|menar\w*|"
        r"prender\w*|sbattere))",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:mi|ci|la|lo|li|le) (?:cerca|cercano) (?:per casa|per picchiar\w*|per ammazzar\w*|"
        r"per uccider\w*|con il coltello|col coltello)\b",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:scriv\w*|nascost\w*|mi nascondo|ci nascondiamo|chius\w*|manda messaggi) (?:\w+ ){0,2}"
        r"(?:dal|in|nel|dentro il) (?:bagno|armadio|ripostiglio|sgabuzzino)\b",
    ),
    (
        VIOLENCE,
        True,
        r"\bmi (?:va|viene|sta|vanno|vengono) dietro\b|\b(?:mi|ci) (?:segue|seguono|insegue|inseguono|"
        r"pedina) da (?:\w+ )?(?:isolat\w*|minuti|metri|fermat\w*|strad\w*|quando sono uscit\w*|un po|"
        r"mezz ora|quando sono scesa|stazione|incrocio)",
    ),
    (VIOLENCE, False, r"\b(?:mi|ci) (?:aspetta|aspettano) (?:sotto casa|fuori|qui|davanti|al portone|all uscita)\b"),
    (
        VIOLENCE,
        True,
        r"\b(?:lo|la|li) vedo (?:dalla finestra|dal balcone|qui fuori|sotto casa|in strada|dallo spioncino)\b",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:sale|viene|arriva|torna|sta venendo) a (?:sistemarmi|prendermi|ammazzarmi|picchiarmi|cercarmi|"
        r"farmela pagare|uccidermi)\b",
    ),
    (
        VIOLENCE,
        True,
        r"\b(?:batte|bussa|picchia|sbatte|tira calci) (?:forte )?(?:sul|sulla|alla|al|contro la|contro il) "
        r"(?:portone|porta|finestra|muro)\b|\bsbatte la testa\b|\bmi sbatte (?:la testa|contro)\b",
    ),
    (VIOLENCE, True, r"\b(?:mi|le|gli) esce (?:sangue|tanto sangue)\b|\besce sangue\b"),
    (VIOLENCE, True, r"\b(?:lui|lei|loro) (?:e )?di la\b"),
    (VIOLENCE, False, r"\baiutatem\w*\b"),
    (VIOLENCE, True, rf"\b(?:{_VIOLENT_PRESENT}) (?:\w+ ){{0,4}}con (?:il|un|la|una|l|lo) (?:{_WEAPONS})\b"),
    (
        VIOLENCE,
        True,
        rf"\b(?:tiene|tene|ha|tiene in mano) (?:o |il |un |lo |la )?(?:{_WEAPONS}) (?:in mano|mmano|a mano)\b",
    ),
    # vivid acts told in the present are happening now
    (
        VIOLENCE,
        True,
        r"\bmi (?:tira per i capelli|tira i capelli|trascina|tiene ferm\w*|sta sopra|tappa la bocca|prende a "
        r"testate|stringe la gola|stringe gola|spacca la testa|sbatte a terra|butta a terra)\b|"
        r"\bstringe (?:la )?gola\b|\bla porta non regge\b|\b(?:e|ma) continua$|\be non smette$",
    ),
    (VIOLENCE, True, r"\b(?:sta|stanno) a (?:mena|picchia|mazzola|da botte)\w*"),
    (
        VIOLENCE,
        True,
        r"\b(?:sono|siamo|mi sono|ci siamo) nascost\w*|\b(?:lui|lei|loro) (?:e |sono )?(?:qui|qua|di la|"
        r"fuori|sotto|dentro|in casa|dietro|accanto a me|davanti a me|dietro di me)\b",
    ),
    (
        VIOLENCE,
        True,
        r"\be appena (?:tornat\w*|rientrat\w*|entrat\w*|arrivat\w*|salit\w*|sces\w*)\b|"
        r"\bha appena (?:accoltellat\w*|picchiat\w*|colpit\w*|sparat\w*|aggredit\w*|investit\w*|spint\w*)",
    ),
    (
        VIOLENCE,
        True,
        r"\bnon (?:vuole andarsene|se ne va)\b|\bnon mi (?:fa|lascia) scendere\b|"
        r"\b(?:per )?venire a prendermi\b",
    ),
    (
        VIOLENCE,
        True,
        rf"\b(?:ha|tiene|cerca|prende|affila\w*|impugna|brandisce|agita|punta|ha preso|ha tirato fuori|"
        rf"tira fuori|ha in tasca|mi mostra|me l ha fatto vedere) (?:\w+ ){{0,3}}(?:{_WEAPONS})\b",
    ),
    (VIOLENCE, True, r"\b(?:mi|ci|la|lo) (?:ha|hanno) legat\w* (?:alla|al|a)\b|\b(?:mi|ci) (?:tiene|tengono) chius\w*"),
    (
        VIOLENCE,
        True,
        r"\b(?:hitting|beating|choking|attacking|killing) me\b|\bhe is (?:here|coming|outside)\b|"
        r"\bil me frappe\b|\bme (?:pega|esta pegando)\b|\bma bate\b",
    ),
    (
        VIOLENCE,
        False,
        r"\bmi ha (?:appena )?(?:sbattut\w*|spint\w*|buttat\w* a terra|picchiat\w*|colpit\w*|preso a \w+|"
        r"dato un (?:calcio|pugno|schiaffo))",
    ),
    (
        VIOLENCE,
        False,
        r"\b(?:un )?(?:calcio|pugno|schiaffo)\b|\b(?:mi|ci) (?:aspetta|aspettano)\b|"
        r"\b(?:mi|ci) (?:cerca|cercano) (?:nel|per|in|dappertutto)\b",
    ),
    (
        SELF_HARM,
        True,
        r"\baddio\b|\bdite a (?:mia|mio) \w+ che (?:le|gli) voglio bene\b|\bultimo desiderio\b|"
        r"\bnon ci saro piu\b|\bnon ci sono piu tra poco\b|\b(?:scusate|perdonatemi) per tutto\b|"
        r"\bho (?:gia )?scritto (?:le|una|la) letter\w* (?:per|a)\b|\bme ne vado per sempre\b|\bper morire\b",
    ),
    (
        SELF_HARM,
        True,
        r"\b(?:ho|ha) (?:appena |gia )?(?:preso|ingoiato|inghiottito|bevuto|mandato giu) (?:\w+ ){0,4}"
        r"(?:veleno|candeggina|tutt\w* (?:le|i|il) (?:pillole|pastiglie|farmaci|medicine|compresse|gocce)|"
        r"tutto il (?:flacone|paracetamolo|tubetto)|troppe|una scatola)",
    ),
    (
        SELF_HARM,
        True,
        r"\b(?:le|li) prendo tutt[ei]\b|\bcorda al collo\b|\bcappio\b|\bho deciso (?:come|quando) farlo\b|"
        r"\b(?:oggi|stasera|stanotte) (?:finisco|finisce|la finisco|chiudo)\b|\bbutt\w* giu (?:da|dal|dalla)\b",
    ),
    (
        SELF_HARM,
        True,
        r"\b(?:sto|sono|salit\w*|salgo|vado) (?:su )?(?:sul|sulla|al|alla|in cima al|in cima alla) "
        r"(?:diga|viadotto|ponte|tetto|cornicione|terrazzo|binari|parapetto)\b|\b(?:treno|binari)\b.*\blo faccio\b",
    ),
    (SELF_HARM, True, r"\bmi sto (?:facendo male|facendo del male)\b|\b(?:tagliarmi|tagliandomi)\b"),
    # weak: only with a sign of "now" in the clause
    (VIOLENCE, False, rf"\b{_OBJ}(?:{_VIOLENT_PRESENT})\b"),
    (VIOLENCE, False, rf"\b(?:{_WEAPONS})\b"),
    (VIOLENCE, False, rf"\b(?:minaccia|minacciano|minacciato|minacciata) (?:di|che) (?:\w+ ){{0,2}}{_KILL}"),
    (VIOLENCE, False, r"\bho paura\b|\bho il terrore\b|\bterrorizzat\w*\b|\bnon mi sento al sicuro\b"),
    (VIOLENCE, False, rf"\b{_KILL}"),
    (VIOLENCE, False, r"\b(?:viene|vengono|torna|tornano) a (?:prendermi|cercarmi|prenderci)\b|\bmi ammazza\b"),
    (VIOLENCE, False, r"\b(?:mi|la|lo|ci) (?:cerca|cercano)\b|\burla\b"),
    # self-harm and suicide
    (
        SELF_HARM,
        True,
        rf"\b(?:voglio|vorrei|sto per|ho deciso di|penso di|sto pensando di|devo|meglio|vado a|"
        rf"adesso|stasera|stanotte) (?:\w+ )?(?:{_SELF_VERBS})\b",
    ),
    (
        SELF_HARM,
        True,
        r"\bmi (?:voglio|vado a|sto per) (?:ammazzare|uccidere|suicidare|buttare|tagliare|sparare|impiccare|"
        r"togliere la vita|avvelenare)\b",
    ),
    (
        SELF_HARM,
        True,
        r"\b(?:sto|sono)(?: su)? (?:sul|sulla|al|in cima al|in cima alla|sopra il) (?:cornicione|tetto|"
        r"terrazzo|ponte|davanzale|parapetto|binari|balcone|viadotto)\b|\b(?:cornicione|davanzale|parapetto)\b",
    ),
    (
        SELF_HARM,
        True,
        r"\bho aperto il gas\b|\bho (?:comprato|preso|preparato) (?:una|la) corda\b|"
        r"\b(?:messaggi|lettera|lettere|biglietto|biglietti) di addio\b|\bla vita (?:non|nn) ha (?:piu )?senso\b",
    ),
    (
        SELF_HARM,
        True,
        r"\bmi sono (?:tagliat\w*|ferit\w*) (?:i polsi|le vene|le braccia|le gambe)\b|"
        r"\bmi sto (?:tagliando|ferendo|facendo del male|bruciando)\b",
    ),
    (SELF_HARM, True, r"\bchius\w* in garage\b|\bmacchina accesa in garage\b"),
    (
        SELF_HARM,
        True,
        r"\bnon (?:intendo|voglio|riesco a) piu andare avanti\b|"
        r"\bho (?:gia )?preso (?:la mia|le mie) decision\w* per (?:stanotte|questa notte|stasera|oggi)\b",
    ),
    (SELF_HARM, False, r"\bmi (?:butto|lancio|getto)\b(?! (?:a|al|alla|sul|sulla|sui|su|nel|nella|nei|in|con|tra)\b)"),
    (
        SELF_HARM,
        False,
        r"\bchiud\w* (?:questa storia|con tutto|con la vita)\b|"
        r"\blo faccio davvero\b|\bnon ce la faccio piu\b|\bprendo (?:\w+ ){0,6}(?:medicinali|pillole|"
        r"pastiglie|farmaci|psicofarmaci|sonniferi)\b",
    ),
    (SELF_HARM, True, r"\b(?:la faccio|farla|la fo) finita\b"),
    (
        SELF_HARM,
        True,
        r"\bnon (?:voglio|ce la faccio|riesco) (?:piu )?(?:a )?vivere\b|\bnon ha piu senso vivere\b|"
        r"\bnon voglio piu stare al mondo\b|\bmeglio morta\b|\bmeglio morto\b|\bvoglio morire\b",
    ),
    (
        SELF_HARM,
        True,
        r"\bmi (?:uccido|ammazzo|suicido|tolgo la vita|butto (?:giu|dal|dalla|sotto)|taglio (?:le vene|i polsi))\b|"
        r"\bmi (?:taglio|tagliero|ritaglio) (?:di nuovo|ancora|un altra volta|come prima|le braccia|le gambe)\b"
        r"(?!.*\b(?:capelli|barba|unghie|frangia|baffi)\b)",
    ),
    (
        SELF_HARM,
        True,
        r"\b(?:ho|ha) (?:preso|ingoiato|mandato giu) (?:tutte le|troppe|un sacco di|una scatola di|tutto il flacone di)"
        r" (?:pillole|pastiglie|compresse|medicine|gocce|farmaci|pasticche)\b",
    ),
    (SELF_HARM, True, r"\b(?:pensieri di suicidio|pensieri suicid\w*|mi voglio suicidare|voglio suicidarmi)\b"),
]
# strong signs before weak ones, and self-harm first within each ("stasera mi ammazzo" is about the writer)
_COMPILED = [
    (kind, strong, re.compile(p))
    for kind, strong, p in sorted(_PATTERNS, key=lambda item: (not item[1], item[0] != SELF_HARM))
]

# Figures of speech that look like danger but are not ("mi ammazza questo lavoro", "sto morendo dal ridere").
_FIGURATIVE = re.compile(
    r"\b(?:mi (?:uccide|ammazza) (?:questo|questa|il|la|lo) (?:lavoro|burocrazia|ansia|caldo|"
    r"traffico|noia|attesa|fila|mal di testa)|(?:massacrando|ammazzando|uccidendo|massacra|ammazza) di (?:lavoro|"
    r"compiti|domande|telefonate|chiacchiere|straordinari|gol|coccole|baci)|e qui con me|sono qui con|fuori dalla mia vita|"
    r"(?:mal di testa|tacchi|scarpe|gatto|cane|caldo|freddo|mutuo|lavoro|capo|prof|compiti|esame|"
    r"influenza|dieta|palestra|traffico|bollette|tasse)\w* (?:\w+ ){0,2}(?:uccid|ammazz|strangol|soffoc)\w*|"
    r"(?:il mutuo|le bollette|le tasse|i debiti) mi strangol\w*|"
    r"voglio morire (?:dalla|di|dal) (?:vergogna|ridere|noia|imbarazzo|caldo)|"
    r"(?:la faccio|farla|falla) finita con (?:il|la|lo|lui|lei|questa|questo|le|i|gli)\b|morendo (?:dal|di|dalle) (?:ridere|fame|caldo|freddo|"
    r"sonno|noia|risate)|mi ammazzo (?:di|dalle) (?:lavoro|risate|fatica)|da morire\b)"
)

_NEGATIONS = {"non", "nn", "nessuno", "nemmeno", "neanche", "neppure", "mica"}
# words between "se" and its verb ("se qualcuno ti punta…", "se mio marito mi picchia…")
_SUBJECTS = {
    "qualcuno",
    "uno",
    "una",
    "un",
    "persona",
    "uomo",
    "donna",
    "mio",
    "mia",
    "marito",
    "moglie",
    "ex",
    "compagno",
    "compagna",
    "fidanzato",
    "fidanzata",
    "padre",
    "madre",
    "lui",
    "lei",
}
_NEW_SUBJECTS = {"lui", "lei", "loro"}
_CLITICS = {
    "mi",
    "ti",
    "ci",
    "vi",
    "si",
    "lo",
    "la",
    "li",
    "le",
    "gli",
    "ne",
    "me",
    "te",
    "ce",
    "ve",
    "se",
    "lui",
    "lei",
    "io",
    "tu",
    "loro",
    "piu",
    "ancora",
    "c",
    "l",
}
_AUXILIARIES = {
    "e",
    "sono",
    "siamo",
    "sei",
    "sta",
    "stanno",
    "sto",
    "stiamo",
    "ha",
    "hanno",
    "ho",
    "abbiamo",
    "vuole",
    "vogliono",
    "voglio",
    "posso",
    "puo",
    "riesco",
    "riesce",
    "fa",
    "lascia",
    "era",
    "sara",
    "c",
    "ce",
}
_NOW = re.compile(
    r"\b(?:adesso|ora|ora come ora|in questo momento|proprio ora|stasera|stanotte|"
    r"in questo istante|mentre (?:ti |vi )?scrivo|appena (?:torna|rientra|arriva)|sta per|questa notte|questa sera|"
    r"poco fa|un attimo fa|(?:\d+|un paio di|due|tre|cinque|dieci|pochi) minuti fa|intanto|"
    r"sto (?:camminando|tornando|andando|guidando|uscendo|scrivendo|rientrando|correndo|scappando))\b"
)
_PAST = re.compile(
    r"\b(?:(?<!da )ieri|l altro ieri|altroieri|(?:anni|mesi|giorni|settimane|tempo) fa|"
    r"(?:la|lo|l|il) (?:settimana|mese|anno|estate|inverno|weekend) scors[oa]|scorso anno|"
    r"da (?:piccola|piccolo|bambina|bambino|ragazza|ragazzo)|in passato|una volta|all epoca|"
    r"quando (?:ero|eravamo|stavo|stavamo|vivevo|vivevamo|abitavo|era|avevo|ci frequentavamo)|"
    r"(?:mi|ci|la|lo|li) (?:picchiava|minacciava|seguiva|chiudeva|teneva|menava|strangolava)|"
    r"(?:e|e gia) success\w*|da (?:mesi|anni|settimane|tempo|un anno|un mese|giorni)|ogni giorno|tutti i giorni|"
    r"ogni sera|ogni notte|tutte le sere|tutte le notti|quando (?:beve|torna|e ubriaco|si arrabbia|litighiamo)|tante volte|molte volte|ogni tanto|piu volte|spesso|ogni volta|di solito|qualche volta|"
    r"l altra (?:notte|sera)|(?:la scorsa|lo scorso|la notte di|a|la sera di) (?:primavera|estate|autunno|inverno|"
    r"pasqua|natale|capodanno|ferragosto)|una notte di|(?:mi|ci|la|lo|li) (?:aveva|avevano)|prima che|"
    r"(?:lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica) (?:scorso|scorsa|mi|ci|ha|e)|"
    r"(?:a|in|lo scorso|nel mese di|a inizio|a fine) (?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|"
    r"agosto|settembre|ottobre|novembre|dicembre))\b"
)
_LEGAL_QUESTION = re.compile(
    r"\b(?:e reato|sono reati|cosa (?:succede|rischia|si rischia|prevede|dice la legge)|"
    r"come funziona|si puo denunciare|posso denunciare|che pena|quale pena|quanti anni|"
    r"la legge|il codice|cosa si intende|cos e|che cos e|come si capisce|come (?:faccio a )?capire|"
    r"una persona|qualcuno e|e tentato|e legale|e un problema|e credibile|e normale|e un reato|aggravante|"
    r"porto d armi|denunciato regolarmente|regolarmente denunciat\w*|teorica)\b"
)
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "quiii" -> "qui", "aiutooo" -> "aiuto"
_CLAUSE_BREAK = re.compile(r"[.;:!?\n\r,()\"]+|\s(?:ma|pero|però|anche se|perche|perché)\s", re.I)


def _clauses(text: str) -> Iterator[Tuple[str, bool]]:
    """(normalised clause, ends with a question mark) for each clause of the message."""
    pieces = _CLAUSE_BREAK.split(text or "")
    marks = _CLAUSE_BREAK.findall(text or "")
    for index, piece in enumerate(pieces):
        plain = _REPEATS.sub(r"\1", normalise(piece))
        if plain:
            mark = marks[index] if index < len(marks) else ""
            yield plain, "?" in mark


def _spans(words: List[str]) -> Tuple[List[Tuple[int, int]], List[Tuple[int, int]]]:
    """Word spans governed by a negation, and the spans of conditionals ("se non apro")."""
    negated, conditional = [], []
    wish = False
    for i, word in enumerate(words):
        if word == "se":
            # "è meglio se la faccio finita", "meglio se mi taglio o se …": a wish, not a hypothesis
            wish = i > 0 and (words[i - 1] == "meglio" or (words[i - 1] == "o" and wish))
        if word == "se" and not wish:
            j = i + 1
            while j < len(words) and (words[j] in _CLITICS or words[j] in _NEGATIONS or words[j] in _SUBJECTS):
                j += 1
            conditional.append((i, min(j + 1, len(words))))
        if word in _NEGATIONS:
            j = i + 1
            while j < len(words) and words[j] in _CLITICS:
                j += 1
            end = j + 1  # the verb
            if j < len(words) and words[j] in _AUXILIARIES:
                end = j + 4  # "non è in casa", "non sta entrando", "non sono al sicuro"
                # a new subject after the auxiliary's verb starts another statement ("nn posso parlare lui è qui")
                end = next((k for k in range(j + 2, min(end, len(words))) if words[k] in _NEW_SUBJECTS), end)
            negated.append((i, min(end, len(words))))
    # a negation inside a conditional governs only the conditional
    negated = [(a, min(b, next((ce for cs, ce in conditional if cs < a < ce), b))) for a, b in negated]
    return negated, conditional


def _inside(index: int, spans: List[Tuple[int, int]]) -> bool:
    return any(start <= index < end for start, end in spans)


def _word_index(clause: str, char_pos: int) -> int:
    return len(clause[:char_pos].split())


_SAFE = re.compile(
    r"\b(?<!non )(?<!nn )(?:sono al sicuro|sto bene|sto meglio|sto da dio|mi sono calmat[ao]|e tutto a posto|"
    r"nessun pericolo|non sono in pericolo|non c e pericolo|e fuori dalla mia vita)\b"
)
_CANCELLED = "cancelled"  # a danger pattern matched, but negated, conditional, past or in a legal question


def _clause_danger(clause: str, question: bool):
    if _FIGURATIVE.search(clause):
        clause = _FIGURATIVE.sub(" ", clause)
    words = clause.split()
    negated, conditional = _spans(words)
    now = bool(_NOW.search(clause))
    past = bool(_PAST.search(clause)) and not now
    legal_question = question and bool(_LEGAL_QUESTION.search(clause))
    cancelled = None
    for kind, strong, pattern in _COMPILED:
        for match in pattern.finditer(clause):
            start = _word_index(clause, match.start())
            if match.group(0).startswith("non "):
                if any(a < start < b for a, b in negated):  # "non è vero che non respiro": rare, still negated
                    cancelled = _CANCELLED
                    continue
            elif _inside(start, negated):
                cancelled = _CANCELLED
                continue
            if _inside(start, conditional) or past or legal_question:
                cancelled = _CANCELLED
                continue
            if not strong and not now:
                continue
            return Danger(kind, match.group(0))
    return cancelled


def assess(text: str) -> Optional[Danger]:
    """The first sign of immediate danger in the message (self-harm preferred), or None."""
    verdicts = [_clause_danger(c, q) for c, q in _clauses(text)]
    found = [d for d in verdicts if isinstance(d, Danger)]
    if found:
        return next((d for d in found if d.kind == SELF_HARM), found[0])
    if _CANCELLED in verdicts or _SAFE.search(normalise(text)):
        return None
    from assistant import danger_model  # imported late: scikit-learn is only needed when the rules are silent

    kind, probability = danger_model.predict(text)
    return Danger(kind, f"model {probability:.2f}") if kind else None


def is_immediate_danger(text: str) -> bool:
    """True when the message says the writer (or someone with them) is in danger right now."""
    return assess(text) is not None
