"""Triage: what happened and who is the victim (from free text), which services fit, and the
reply that lists them. Texts come from content/triage.yml; numbers and services from the directory."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional
from urllib.parse import urlparse

import yaml

from assistant.directory import models as m
from assistant.directory.nearest import directory
from assistant.settings import PROJECT_ROOT
from assistant.text import normalise

TEXTS_FILE = PROJECT_ROOT / "content" / "triage.yml"
SKIPPED = "non_detto"
VIOLENCE_AGAINST_WOMEN = {"violenza_domestica", "violenza_sessuale", "stalking"}

# Numbers as written in data/directory/numeri_nazionali.csv (looked up there by their digits).
EMERGENCY, ANTIVIOLENZA, EMERGENZA_INFANZIA, TELEFONO_AZZURRO = "112", "1522", "114", "19696"
UNAR, ANTITRATTA, RETE_DAFNE = "800 90 10 10", "800 290 290", "800 91 91 08"

_EVENT_PATTERNS = [  # first match wins: the most specific kinds come first
    ("tratta", r"\b(tratta|sfruttat\w*|costrett\w* a (lavorare|prostituir\w*)|mi (hanno|ha) (preso|tolto|sequestrato) (il )?(passaporto|documenti)|prostituir\w*)\b"),
    ("discriminazione", r"\b(razzis\w*|discrimin\w*|perche sono (nero|nera|straniero|straniera|rom|musulman\w*|ebre\w*|african\w*)|odio razziale|per (la mia|il mio) (religione|origine|colore))\b"),
    ("violenza_sessuale", r"\b(violenza sessuale|stupr\w*|violentat\w*|abus\w* sessual\w*|molest\w*|toccat\w* (contro|senza)|abusat\w*|abusi)\b"),
    ("stalking", r"\b(stalk\w*|perseguit\w*|mi (segue|seguiva|pedina|controlla)|appostat\w*|non smette di (chiamarmi|scrivermi|cercarmi))\b"),
    ("bullismo", r"\b(bullismo|bulli|cyberbullismo|bullizzat\w*)\b"),
    ("violenza_domestica", r"\b(mi (picchia|picchiava|mena|meno|ha picchiat\w*|ha menat\w*|maltratta|umilia|insulta|minaccia|controlla i soldi)|maltratt\w*|violenza (domestica|in famiglia|psicologica|economica)|botte|schiaff\w*|mi alza le mani|violent[oa])\b"),
    ("truffa", r"\b(truff\w*|raggir\w*|fregat\w*|phishing|finto (nipote|carabiniere|tecnico)|clonat\w*)\b"),
    ("furto", r"\b(furto|rubat\w*|derubat\w*|scippat\w*|scippo|rapina\w*|ladri|ladro|borseggi\w*)\b"),
    ("aggressione", r"\b(aggredit\w*|aggressione|picchiat\w*|pestat\w*|accoltellat\w*|ferit\w*)\b"),
]
_VICTIM_PATTERNS = [
    ("minore", r"\b(mio figlio|mia figlia|i miei figli|bambin\w*|ragazzin\w*|minorenne|minore|alunn\w*|nipotin\w*|ho (1[0-7]|[6-9]) anni|figlio di \d+ anni|figlia di \d+ anni)\b"),
    ("anziano", r"\b(anzian\w*|nonn[oa]|pensionat\w*|ho (6[5-9]|[7-9]\d) anni|di (6[5-9]|[7-9]\d) anni)\b"),
    ("disabile", r"\b(disabil\w*|handicap\w*|invalid\w*|non vedente|non udente|sedia a rotelle)\b"),
    ("altra_persona", r"\b(mia (sorella|madre|mamma|amica|cugina|collega|vicina|zia)|mio (fratello|padre|papa|amico|cugino|collega|vicino|zio)|una mia amica|un mio amico|un altra persona|altra persona|qualcun altro|un conoscente)\b"),
    ("io", r"\b(mi (picchia|ha|hanno|minaccia|segue|perseguita|insulta|maltratta|molesta|umilia|controlla)|sono stat[oa]|ho subito|mi sento|sono vittima|io stess[oa])\b|^(io|a me|sono io|proprio io|me|e successo a me)$"),
]
_EVENTS = [(name, re.compile(p)) for name, p in _EVENT_PATTERNS]
_VICTIMS = [(name, re.compile(p)) for name, p in _VICTIM_PATTERNS]


def classify_event(text: str) -> Optional[str]:
    plain = normalise(text)
    return next((name for name, pattern in _EVENTS if pattern.search(plain)), None)


def classify_victim(text: str) -> Optional[str]:
    plain = normalise(text)
    return next((name for name, pattern in _VICTIMS if pattern.search(plain)), None)


@dataclass
class Plan:
    """Which kinds of service and which helplines fit the triage answers."""
    services: List[str]
    numbers: List[str]
    phone_fallback: str
    topics: List[str] = field(default_factory=list)


def plan_for(cosa: Optional[str], chi: Optional[str]) -> Plan:
    if cosa == "tratta":
        return Plan([m.ANTITRATTA], [ANTITRATTA, EMERGENCY], ANTITRATTA, ["permesso_stranieri", "diritti_offesa"])
    if cosa == "discriminazione":
        return Plan([m.ENTE_GESTORE], [UNAR, EMERGENCY], UNAR, ["discriminazione", "patrocinio"])
    if chi == "minore" or cosa == "bullismo":
        return Plan([m.ENTE_GESTORE], [EMERGENZA_INFANZIA, TELEFONO_AZZURRO, EMERGENCY], EMERGENZA_INFANZIA,
                    ["minori", "denuncia_querela"])
    if cosa in VIOLENCE_AGAINST_WOMEN:
        return Plan([m.CENTRO_ANTIVIOLENZA, m.ENTE_GESTORE], [ANTIVIOLENZA, EMERGENCY], ANTIVIOLENZA,
                    ["ammonimento", "patrocinio", "dove_denunciare"])
    return Plan([m.SUPPORTO_VITTIME, m.ENTE_GESTORE], [RETE_DAFNE, EMERGENCY], RETE_DAFNE,
                ["dove_denunciare", "diritti_offesa", "risarcimento"])


@lru_cache(maxsize=None)
def texts() -> Dict:
    with open(TEXTS_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


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
    head = service["nome"] + (f" ({service['comune']}, {where})" if service.get("comune") and where
                              else f" ({where})" if where else "")
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
    elif service.get("data_fonte"):
        lines.append(t["source"].format(fonte=fonte, data=_date(service["data_fonte"])))
    else:
        lines.append(t["source_undated"].format(fonte=fonte))
    if service.get("stale"):
        lines.append(t["stale"])
    return "\n".join(lines)


def _national_lines(numbers: List[str]) -> str:
    t = texts()["result"]
    lines = [t["national_title"]]
    for number in numbers:
        line = directory().national(number)
        if line:
            lines.append(t["national_line"].format(numero=line["telefoni"][0], nome=line["nome"],
                                                   orari=line["orari"] or "orari non indicati"))
    return "\n".join(lines)


def reply(istat: Optional[str], cosa: Optional[str], chi: Optional[str]) -> List[str]:
    """The messages that answer the triage: services near the comune (if known) and helplines."""
    t = texts()["result"]
    plan = plan_for(cosa, chi)
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
    messages.append(t["closing"])
    return messages
