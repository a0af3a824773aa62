"""Faults: the action server goes down and comes back; the answer is never silence."""

from tests.conftest import serve


def test_action_server_down_then_back(bot, sender):
    actions = {"actions": bot.procs["actions"]}
    serve.stop(actions)
    try:
        reply = bot.texts(sender, "cos'è l'ammonimento?")
        assert "problema tecnico" in reply and "Riprova" in reply
        assert "112" in reply and "1522" in reply
        # the emergency answer is a domain response: it needs no action server
        assert "chiama subito il 112" in bot.texts(sender, "è qui fuori con un coltello")
    finally:
        bot.procs.update(serve.start(env_extra=bot.env, log_dir=bot.log_dir, token=bot.token, only=["actions"]))
        assert serve.wait_ready(f"http://127.0.0.1:{bot.env['SV_ACTIONS_PORT']}/health", 90, list(bot.procs.values()))
    assert "questore" in bot.texts(sender, "cos'è l'ammonimento?")
