"""``cligate run --protocol P -- COMMAND``: any command, given its protocol's standard variables
pointing at the proxy, reaches the configured provider (translated when it speaks another)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_upstream import FakeUpstream, TextReply

KEY = "generic-upstream-key"

CLIENT = """#!{python}
import json, os, sys, urllib.request
protocol = sys.argv[1]
if protocol == "openai-chat":
    url = os.environ["OPENAI_BASE_URL"] + "/chat/completions"
    body = {{"model": "m", "messages": [{{"role": "user", "content": "hi"}}]}}
    headers = {{"authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}}
else:
    url = os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages"
    body = {{"model": "m", "max_tokens": 20, "messages": [{{"role": "user", "content": "hi"}}]}}
    headers = {{"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}}
request = urllib.request.Request(url, json.dumps(body).encode(), {{**headers, "content-type": "application/json"}})
answer = json.load(urllib.request.urlopen(request, timeout=20))
text = answer["choices"][0]["message"]["content"] if protocol == "openai-chat" else answer["content"][0]["text"]
print("ANSWER:", text)
print("ARGS:", sys.argv[2:])
"""


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY, script=TextReply("generic hello")) as fake:
        yield fake


@pytest.fixture
def env(tmp_path: Path, upstream: FakeUpstream) -> dict[str, str]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(
        f'[providers.fake]\nprotocol = "openai-chat"\nbase_url = "{upstream.base_url}/v1"\n'
        f'api_key = "{KEY}"\n\n[tools.my-client]\nprovider = "fake"\nmodel = "chat-model"\n'
    )
    return {**os.environ, "CLIGATE_CONFIG_DIR": str(config), "CLIGATE_RECORDS": "0"}


@pytest.fixture
def client(tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "my-client"
    path.parent.mkdir()
    path.write_text(CLIENT.format(python=sys.executable))
    path.chmod(0o755)
    return path


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cligate", "run", *args],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic"])
def test_any_command_reaches_the_provider_through_its_protocols_variables(
    env: dict[str, str], client: Path, upstream: FakeUpstream, protocol: str
) -> None:
    result = run(env, "--protocol", protocol, "--", str(client), protocol, "--model", "x")
    assert result.returncode == 0, result.stderr
    assert "ANSWER: generic hello" in result.stdout
    assert "ARGS: ['--model', 'x']" in result.stdout  # after --, untouched
    [sent] = [r for r in upstream.requests if r.turn is not None]
    assert sent.turn.model == "chat-model"  # the binding named after the command


def test_a_command_found_on_path_and_a_provider_given_by_flag(
    env: dict[str, str], client: Path, upstream: FakeUpstream
) -> None:
    env = {**env, "PATH": f"{client.parent}{os.pathsep}{env['PATH']}"}
    (Path(env["CLIGATE_CONFIG_DIR"]) / "config.toml").write_text(
        f'[providers.fake]\nprotocol = "openai-chat"\nbase_url = "{upstream.base_url}/v1"\n'
        f'api_key = "{KEY}"\n'
    )
    result = run(env, "--protocol", "openai-chat", "--provider", "fake", "--", "my-client",
                 "openai-chat")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ANSWER: generic hello" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--protocol", "smoke-signals", "--", "x"], "--protocol takes one of"),
        (
            ["--protocol", "openai-chat", "--provider", "fake", "--", "/no/such/cmd"],
            "not an executable",
        ),
        (["--protocol", "openai-chat", "--", "unbound-command"], "no provider is set"),
        (["not-a-tool"], "cligate run --protocol openai-chat -- not-a-tool"),
    ],
)
def test_mistakes_are_explained(env: dict[str, str], args: list[str], words: str) -> None:
    result = run(env, *args)
    assert result.returncode != 0 and words in result.stderr
