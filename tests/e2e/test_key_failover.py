"""The real Claude Code through ``cligate run claude`` with a provider holding two keys, the
first rate-limited: the request succeeds on the second key and the user sees no error."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_cli, run_cligate
from tests.fake_upstream import FakeUpstream, HttpError, TextReply

pytestmark = pytest.mark.e2e

SECOND_KEY = "e2e-second-upstream-key"


def test_claude_code_succeeds_on_the_second_key_when_the_first_is_rate_limited(
    sandbox: Sandbox,
) -> None:
    require_cli("claude")
    with FakeUpstream(api_key=None, script=TextReply("answered on a healthy key")) as upstream:
        (sandbox.config / "config.toml").write_text(
            f'[providers.fake]\nprotocol = "anthropic"\nbase_url = "{upstream.base_url}"\n'
            'api_key = "env:FAKE_KEY"\napi_keys = ["env:FAKE_KEY2"]\n\n'
            '[tools.claude]\nprovider = "fake"\n'
        )
        upstream.set_fault(HttpError(429, "rate limited", retry_after=60), times=1)
        result = run_cligate(
            "claude",
            ["-p", "hello", "--output-format", "json"],
            sandbox,
            FAKE_KEY2=SECOND_KEY,
            CLAUDE_CODE_MAX_RETRIES="0",  # any retry the user sees would have to be Claude's
        )
        requests = [r for r in upstream.requests if r.protocol == "anthropic"]
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert answer["is_error"] is False
    assert answer["result"] == "answered on a healthy key"
    # The first key met the 429; every later request went out with the second key.
    used = [r.header("x-api-key") for r in requests]
    assert used[0] == UPSTREAM_KEY and requests[0].outcome == "error:429"
    assert used[1:] and set(used[1:]) == {SECOND_KEY}
