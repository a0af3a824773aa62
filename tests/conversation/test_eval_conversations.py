"""Ratchet gate on the independent evaluation conversations (tests/eval/conversations_test.yml): all of
them are run over REST against the real servers of this test session, and the test fails when the
share that passes falls below the ratchet of tests/eval/ratchet.json (minus its tolerance).
Failures are shown by conversation id, turn and expectation only: the test split is never tuned on."""

from scripts.evaluation import conversations, ratchet, sets


def test_evaluation_conversations_do_not_fall_below_the_ratchet(bot, capsys):
    results, summary = conversations.run_all(bot.texts, sets.load("conversations", "test"))
    figures = {"conversations_pass_rate": summary["pass_rate"]}
    floor = ratchet.load()
    with capsys.disabled():
        print("\n==> evaluation conversations, test split")
        print(conversations.format_results(results, summary, show_text=False))
        print(ratchet.table(figures, floor))
    failed = ratchet.regressions(figures, floor)
    assert not failed, failed
    assert summary["conversations"] == len(sets.load("conversations", "test"))
