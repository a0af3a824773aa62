"""The directory pages of the console against the real servers: the role, a shelter's address, an
import with errors refused with file:line, and an edit the assistant shows in the next conversation."""

import csv
import io
import re
import time
import uuid

import pyotp
import pytest

from assistant.console.app import create_app, create_operator
from assistant.directory import edit
from assistant.directory.nearest import check_seconds
from assistant.handoff import models as hm
from tests.conversation.test_console import SECRETS
from tests.conversation.test_console import login as console_login

PASSWORD = "una-password-lunga-456"


@pytest.fixture(scope="module")
def people(bot):
    suffix = uuid.uuid4().hex[:6]
    names = {"operator": f"op-elenco-{suffix}", "supervisor": f"sup-elenco-{suffix}"}
    for role, name in names.items():
        SECRETS[name] = pyotp.random_base32()
        create_operator(
            name,
            PASSWORD,
            hm.OPERATOR if role == "operator" else hm.SUPERVISOR,
            url=bot.db_url,
            totp_secret=SECRETS[name],
        )
    return names


def login(bot, username):
    """Password, then the second factor (the console's own login helper of test_console)."""
    s, resp = console_login(bot, username, password=PASSWORD)
    assert resp.status_code == 303, resp.status_code
    return s, re.search(r'name="csrf" value="([^"]+)"', s.get(bot.console + "/coda", timeout=10).text).group(1)


def directory_routes(bot):
    app = create_app(url=bot.db_url, name="directory_routes_" + uuid.uuid4().hex[:6])
    for route in app.router.routes:
        if route.path.startswith("elenco"):
            path = "/" + route.path.replace("<service_id:str>", "CAV034").replace(
                "<kind:str>", "centri_antiviolenza_piemonte.csv"
            )
            for method in route.methods:
                yield method, path


def test_an_operator_without_the_role_gets_403_everywhere(bot, people):
    s, csrf = login(bot, people["operator"])
    routes = list(directory_routes(bot))
    assert len(routes) >= 12
    for method, path in routes:
        resp = s.request(
            method,
            bot.console + path,
            data={"csrf": csrf, "telefoni": "0142 000100", "fonte": "prova", "data_nuova_fonte": "2026-01-01"},
            allow_redirects=False,
            timeout=30,
        )
        assert resp.status_code == 403, (method, path, resp.status_code)
    assert "Elenco servizi" not in s.get(bot.console + "/coda", timeout=10).text
    assert edit.get("CAV034", bot.db_url)["telefoni"] != "0142 000100"
    sup, _ = login(bot, people["supervisor"])
    page = sup.get(bot.console + "/elenco", timeout=30)
    assert page.status_code == 200 and "CAV034" in page.text and "Copertura per provincia" in page.text
    png = sup.get(bot.console + "/elenco/mappa.png", timeout=60)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"


def test_the_console_refuses_an_address_on_a_shelter(bot, people):
    s, csrf = login(bot, people["supervisor"])
    shelter = next(r["id"] for r in edit.list_services(bot.db_url, tipo="casa_rifugio"))
    resp = s.post(
        f"{bot.console}/elenco/voce/{shelter}/modifica",
        data={
            "csrf": csrf,
            "indirizzo": "via Roma 1",
            "fonte": "telefonata del 25/11",
            "data_nuova_fonte": "2026-11-25",
        },
        timeout=30,
    )
    assert resp.status_code == 400 and "casa rifugio non ha mai un indirizzo" in resp.text
    assert edit.get(shelter, bot.db_url)["indirizzo"] == ""


def test_an_import_with_errors_is_refused_with_file_and_line(bot, people):
    s, csrf = login(bot, people["supervisor"])
    exported = s.get(bot.console + "/elenco/esporta/servizi_vittime_piemonte.csv", timeout=30)
    assert exported.status_code == 200 and exported.text.startswith("id,tipo,nome")
    lines = exported.text.splitlines()
    lines[3] = lines[3].replace(",assistenza_vittime_reato,", ",tipo_sbagliato,", 1)
    resp = s.post(
        bot.console + "/elenco/importa",
        data={"csrf": csrf},
        files={"file": ("vittime.csv", ("\n".join(lines) + "\n").encode())},
        timeout=30,
    )
    assert resp.status_code == 400
    assert "vittime.csv:4: tipo &#39;tipo_sbagliato&#39; sconosciuto" in resp.text and "nulla è cambiato" in resp.text
    assert "Applica" not in resp.text
    again = s.get(bot.console + "/elenco/esporta/servizi_vittime_piemonte.csv", timeout=30)
    assert again.text == exported.text


def test_an_import_preview_then_apply_over_http(bot, people):
    s, csrf = login(bot, people["supervisor"])
    text = s.get(bot.console + "/elenco/esporta/servizi_vittime_piemonte.csv", timeout=30).text
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in rows if r["id"] == "VR009")
    row["orari"] = "lunedì 9-12"
    row["fonte_url"] = "telefonata del 25/11 | " + row["fonte_url"]
    row["fonte_data"] = "2026-11-25 | " + row["fonte_data"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    new_text = out.getvalue()
    resp = s.post(
        bot.console + "/elenco/importa",
        data={"csrf": csrf},
        files={"file": ("vittime.csv", new_text.encode())},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text[:2000]
    shown = re.findall(r"<tr><td>vittime.csv:(\d+)</td><td>modifica VR009[^<]*</td><td>(\w+)</td>", resp.text)
    assert {field for _, field in shown} == {"orari", "fonte_url", "fonte_data"}
    digest = re.search(r'name="digest" value="([^"]+)"', resp.text).group(1)
    applied = s.post(
        bot.console + "/elenco/importa/applica",
        data={"csrf": csrf, "filename": "vittime.csv", "digest": digest, "testo": new_text},
        timeout=30,
    )
    assert applied.status_code == 200 and "Importazione applicata: 1 voci" in applied.text
    entry = edit.get("VR009", bot.db_url)
    assert entry["orari"] == "lunedì 9-12" and entry["fonte_url"].startswith("telefonata del 25/11 | ")
    audit = s.get(bot.console + "/registro", timeout=30).text
    assert "elenco_import" in audit and "vittime.csv:" in audit


def test_an_edit_shows_in_the_next_conversation(bot, people, sender):
    s, csrf = login(bot, people["supervisor"])
    resp = s.post(
        bot.console + "/elenco/voce/CAV034/modifica",
        data={
            "csrf": csrf,
            "telefoni": "0142 000111",
            "fonte": "telefonata del 25/11",
            "data_nuova_fonte": "2026-11-25",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 303
    time.sleep(check_seconds() + 1)  # the action server reads the directory version at most this often
    bot.texts(sender, "Il mio compagno mi picchia, abito a Casale Monferrato")
    result = bot.texts(sender, "no")
    assert "Centro Antiviolenza me.dea Casale Monferrato" in result and "0142 000111" in result
