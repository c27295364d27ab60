"""The real Claude Code with its model set to ``auto:cheapest`` through ``cligate run claude``,
against two local scripted providers with different configured prices: the cheaper one serves;
when it starts failing, the request goes to the other and the user sees no error."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_cli, run_cligate
from tests.fake_upstream import FakeUpstream, HttpError, TextReply

pytestmark = pytest.mark.e2e


def config(cheap: FakeUpstream, dear: FakeUpstream) -> str:
    def provider(name: str, fake: FakeUpstream, price: float) -> str:
        return (
            f'[providers.{name}]\nprotocol = "anthropic"\nbase_url = "{fake.base_url}"\n'
            f'api_key = "env:FAKE_KEY"\nmodels = ["{name}-model"]\n'
            f'[providers.{name}.pricing."*"]\ninput = {price}\noutput = {price * 4}\n\n'
        )

    return (
        provider("dear", dear, 3.0)
        + provider("cheap", cheap, 0.2)
        + '[tools.claude]\nprovider = "dear"\nmodel = "auto:cheapest"\n'
    )


def ask(sandbox: Sandbox) -> dict[str, object]:
    result = run_cligate(
        "claude",
        ["-p", "hello", "--output-format", "json"],
        sandbox,
        CLAUDE_CODE_MAX_RETRIES="0",  # any retry the user sees would have to be Claude's
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads(result.stdout))


def test_claude_code_on_auto_is_served_by_the_cheaper_and_fails_over_unseen(
    sandbox: Sandbox,
) -> None:
    require_cli("claude")
    with (
        FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("from the cheap one")) as cheap,
        FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("from the dear one")) as dear,
    ):
        (sandbox.config / "config.toml").write_text(config(cheap, dear))
        first = ask(sandbox)
        assert first["is_error"] is False and first["result"] == "from the cheap one"
        assert [r.turn.model for r in cheap.requests if r.turn] == ["cheap-model"] * len(
            [r for r in cheap.requests if r.turn]
        )
        assert not [r for r in dear.requests if r.turn]  # the dear one was not needed

        cheap.set_fault(HttpError(503, "overloaded"))
        second = ask(sandbox)
        assert second["is_error"] is False and second["result"] == "from the dear one"
        assert any(r.outcome == "error:503" for r in cheap.requests)
        assert [r.turn.model for r in dear.requests if r.turn][-1] == "dear-model"
