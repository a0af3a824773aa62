"""One test per row of content/routing.yml: the facts that select the row, and what the plan must hold."""

import pytest

from assistant import knowledge, triage
from assistant.directory import models as m

CAV, SOCIAL, SUPPORT, ANTITRATTA = m.CENTRO_ANTIVIOLENZA, m.ENTE_GESTORE, m.SUPPORTO_VITTIME, m.ANTITRATTA
NO_CAV, NO_1522 = "no-cav", "no-1522"

# row id -> (event, victim, gender, requested service, age), services expected first (in order), numbers, extra checks
ROWS = {
    "cav_asked_by_a_man": (
        ("violenza_domestica", "io", "uomo", "centro_antiviolenza", None),
        [SUPPORT, SOCIAL],
        [triage.RETE_DAFNE],
        [NO_CAV, "donne"],
    ),
    "cav_asked": (
        ("truffa", "io", None, "centro_antiviolenza", None),
        [CAV, SUPPORT],
        [triage.ANTIVIOLENZA],
        ["donne"],
    ),
    "social_services_asked": (("furto", "io", None, "servizi_sociali", None), [SOCIAL, SUPPORT], [], []),
    "victim_support_asked": (
        ("violenza_domestica", "io", "donna", "sportello_vittime", None),
        [SUPPORT, CAV],
        [triage.RETE_DAFNE, triage.ANTIVIOLENZA],
        [],
    ),
    "lawyer_asked": (("stalking", "io", "donna", "avvocato", None), [SUPPORT, CAV], [], ["topic:patrocinio"]),
    "police_asked": (("furto", "io", None, "polizia", None), [SUPPORT], [], ["topic:dove_denunciare", "Carabinieri"]),
    "postal_police_asked": (
        (None, None, None, "polizia_postale", None),
        [SUPPORT],
        [],
        ["link:www.commissariatodips.it"],
    ),
    "psychologist_asked": (("aggressione", "io", None, "psicologo", None), [SUPPORT, SOCIAL], [], []),
    "trafficking": (("tratta", "io", "donna", None, None), [ANTITRATTA], [triage.ANTITRATTA], [NO_CAV]),
    "minor_online": (
        ("sextortion", "minore", None, None, 15),
        [SOCIAL],
        [triage.EMERGENZA_INFANZIA, triage.TELEFONO_AZZURRO],
        ["link:www.commissariatodips.it"],
    ),
    "minor_14_girl_violence": (
        ("violenza_sessuale", "minore", "donna", None, 15),
        [SOCIAL, CAV],
        [triage.EMERGENZA_INFANZIA, triage.TELEFONO_AZZURRO, triage.ANTIVIOLENZA],
        ["5-ter", "14 anni"],
    ),
    "minor": (
        ("violenza_domestica", "minore", "donna", None, 12),
        [SOCIAL],
        [triage.EMERGENZA_INFANZIA, triage.TELEFONO_AZZURRO],
        [NO_CAV],
    ),
    "bullying": (
        ("bullismo", None, None, None, None),
        [SOCIAL],
        [triage.EMERGENZA_INFANZIA, triage.TELEFONO_AZZURRO],
        [NO_CAV],
    ),
    "online_intimate_woman": (
        ("revenge_porn", "io", "donna", None, None),
        [CAV, SUPPORT],
        [triage.ANTIVIOLENZA],
        ["link:www.commissariatodips.it"],
    ),
    "online_intimate": (
        ("sextortion", "io", "uomo", None, None),
        [SUPPORT, SOCIAL],
        [triage.RETE_DAFNE],
        ["link:www.commissariatodips.it", NO_CAV],
    ),
    "phishing": (
        ("phishing", "io", None, None, None),
        [SUPPORT],
        [triage.RETE_DAFNE],
        ["link:www.commissariatodips.it", NO_CAV],
    ),
    "discrimination": (
        ("discriminazione", "io", None, None, None),
        [SOCIAL, SUPPORT],
        [],
        ["link:www.unar.it", "no-unar-phone", NO_CAV],
    ),
    "elderly_disabled_woman_violence": (
        ("violenza_domestica", "anziano", "donna", None, None),
        [SOCIAL, SUPPORT, CAV],
        [triage.RETE_DAFNE, triage.ANTIVIOLENZA],
        [],
    ),
    "elderly_disabled": (
        ("truffa", "anziano", "uomo", None, None),
        [SOCIAL, SUPPORT],
        [triage.RETE_DAFNE],
        [NO_CAV, NO_1522],
    ),
    "violence_woman": (
        ("violenza_domestica", "io", "donna", None, None),
        [CAV, SOCIAL],
        [triage.ANTIVIOLENZA],
        ["donne"],
    ),
    "violence_man": (
        ("violenza_domestica", "io", "uomo", None, None),
        [SUPPORT, SOCIAL],
        [triage.RETE_DAFNE],
        [NO_CAV, NO_1522, "donne"],
    ),
    "violence_gender_unknown": (
        ("stalking", "io", None, None, None),
        [CAV, SUPPORT, SOCIAL],
        [triage.ANTIVIOLENZA, triage.RETE_DAFNE],
        ["donne", "chiunque"],
    ),
    "any_other_crime": (("furto", "io", None, None, None), [SUPPORT, SOCIAL], [triage.RETE_DAFNE], [NO_CAV, NO_1522]),
}


def test_every_row_of_the_table_has_its_test():
    table = triage.routing()
    ids = [row["id"] for row in table["requested"] + table["routes"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(ROWS)


@pytest.mark.parametrize("row_id", sorted(ROWS))
def test_row(row_id):
    facts, services, numbers, checks = ROWS[row_id]
    plan = triage.plan_for(*facts)
    assert row_id in plan.rows
    assert plan.services[: len(services)] == services
    assert set(numbers) <= set(plan.numbers)
    assert plan.numbers[-1] == triage.EMERGENCY  # 112 in every plan
    notes = " ".join(plan.notes)
    for check in checks:
        if check == NO_CAV:
            assert CAV not in plan.services
        elif check == NO_1522:
            assert triage.ANTIVIOLENZA not in plan.numbers
        elif check == "no-unar-phone":
            assert triage.UNAR not in plan.numbers and triage.UNAR.replace(" ", "") not in notes.replace(" ", "")
        elif check.startswith("topic:"):
            assert check[6:] in plan.topics
        elif check.startswith("link:"):
            assert check[5:] in plan.links and check[5:] in notes
        else:
            assert check in notes, (check, notes)


def test_the_asked_service_comes_first_and_the_story_still_counts():
    plan = triage.plan_for("violenza_domestica", "io", None, "centro_antiviolenza")
    assert plan.services[0] == CAV and triage.ANTIVIOLENZA in plan.numbers
    assert plan.rows == ["cav_asked", "violence_gender_unknown"]


def test_unknown_values_and_skipped_answers_mean_not_said():
    assert triage.plan_for(triage.SKIPPED, triage.SKIPPED, triage.SKIPPED, triage.SKIPPED).rows == ["any_other_crime"]
    assert triage.plan_for("violenza_domestica", "io", triage.SKIPPED).rows == ["violence_gender_unknown"]


def test_a_minor_under_14_is_not_sent_to_an_anti_violence_centre():
    assert CAV not in triage.plan_for("violenza_sessuale", "minore", "donna", None, 13).services
    assert CAV not in triage.plan_for("violenza_sessuale", "minore", "donna", None, None).services


def test_every_number_topic_and_note_exists(db_url):
    from assistant.directory.nearest import directory

    table = triage.routing()
    topics = knowledge.load().topics
    for row in table["requested"] + table["routes"]:
        for number in row.get("numbers", []) + ([row["fallback"]] if "fallback" in row else []):
            assert directory().national(number), (row["id"], number)
        for topic in row.get("topics", []):
            assert topic in topics, (row["id"], topic)
        for note in row.get("notes", []):
            assert note in table["notes"], (row["id"], note)
        for link in row.get("links", []):
            assert link in table["links"], (row["id"], link)
        for service in row.get("services", []):
            assert service in m.SERVICE_TYPES, (row["id"], service)


def test_reply_says_whom_each_service_serves(db_url):
    text = "\n".join(triage.reply(None, "violenza_domestica", "io"))
    assert "donne" in text and "chiunque" in text and "1522" in text and triage.RETE_DAFNE in text
