"""The Responses and Gemini codecs through the real proxy, with the official SDKs as strict
clients: Codex's protocol and Gemini CLI's protocol on providers of other protocols."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from cligate.protocols.kinds import WireProtocol
from tests.fake_upstream import FakeUpstream, HttpError, ShellRoundTrip
from tests.proxy.conftest import SECRET, UPSTREAM_KEY, start_proxy

A, CHAT = WireProtocol.ANTHROPIC, WireProtocol.OPENAI_CHAT
RESPONSES, GEMINI = WireProtocol.OPENAI_RESPONSES, WireProtocol.GEMINI
SHELL_SCHEMA = {
    "type": "object",
    "properties": {"command": {"type": "string"}},
    "required": ["command"],
    "additionalProperties": False,
    "$schema": "http://json-schema.org/draft-07/schema#",
}


@pytest.fixture(params=[CHAT, A, GEMINI], ids=["chat", "anthropic", "gemini"])
def responses_proxy(upstream: FakeUpstream, request: pytest.FixtureRequest) -> Iterator[str]:
    thread, url = start_proxy(upstream, RESPONSES, provider_protocol=request.param)
    yield url
    thread.stop()


def test_the_openai_sdk_streams_responses_from_any_provider(
    responses_proxy: str, upstream: FakeUpstream
) -> None:
    client = openai.OpenAI(base_url=responses_proxy + "/v1", api_key=SECRET, max_retries=0)
    with client.responses.stream(model="gpt-5.5", input="hi", instructions="Be brief.") as stream:
        final = stream.get_final_response()
    assert final.status == "completed"
    assert final.output_text == "hello through cligate"
    assert final.usage is not None and final.usage.output_tokens > 0
    (recorded,) = upstream.requests
    assert recorded.protocol != "responses"  # translated, never sent as Responses
    assert UPSTREAM_KEY in str(recorded.headers) and SECRET not in str(recorded.headers)


def test_a_function_call_round_trip_through_responses(
    responses_proxy: str, upstream: FakeUpstream
) -> None:
    upstream.set_script(ShellRoundTrip("ls"))
    client = openai.OpenAI(base_url=responses_proxy + "/v1", api_key=SECRET, max_retries=0)
    tools = [{"type": "function", "name": "shell", "parameters": SHELL_SCHEMA, "strict": False}]
    with client.responses.stream(model="m", input="list", tools=tools) as stream:  # type: ignore[arg-type]
        first = stream.get_final_response()
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "shell" and json.loads(call.arguments) == {"command": "ls"}
    history = [
        {"role": "user", "content": "list"},
        {
            "type": "function_call",
            "call_id": call.call_id,
            "name": "shell",
            "arguments": call.arguments,
        },
        {"type": "function_call_output", "call_id": call.call_id, "output": "a.txt"},
    ]
    with client.responses.stream(model="m", input=history, tools=tools) as stream:  # type: ignore[arg-type]
        second = stream.get_final_response()
    assert second.output_text == "FINAL: a.txt"


def test_previous_response_id_is_a_clear_400(responses_proxy: str) -> None:
    client = openai.OpenAI(base_url=responses_proxy + "/v1", api_key=SECRET, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="previous_response_id"):
        client.responses.create(model="m", input="hi", previous_response_id="resp_1")


@pytest.fixture(params=[CHAT, A, RESPONSES], ids=["chat", "anthropic", "responses"])
def gemini_proxy(upstream: FakeUpstream, request: pytest.FixtureRequest) -> Iterator[str]:
    thread, url = start_proxy(upstream, GEMINI, provider_protocol=request.param)
    yield url
    thread.stop()


def gemini_client(url: str) -> genai.Client:
    return genai.Client(api_key=SECRET, http_options=genai_types.HttpOptions(base_url=url))


def test_google_genai_reads_whole_and_streamed_answers_from_any_provider(
    gemini_proxy: str, upstream: FakeUpstream
) -> None:
    client = gemini_client(gemini_proxy)
    whole = client.models.generate_content(model="gemini-x", contents="hi")
    assert whole.text == "hello through cligate"
    assert whole.candidates and whole.candidates[0].finish_reason == genai_types.FinishReason.STOP
    assert whole.usage_metadata and whole.usage_metadata.candidates_token_count
    chunks = list(client.models.generate_content_stream(model="gemini-x", contents="hi"))
    assert "".join(c.text or "" for c in chunks) == "hello through cligate"
    assert all(r.protocol != "gemini" for r in upstream.requests)


def test_google_genai_gets_function_calls_and_sends_results_back(
    gemini_proxy: str, upstream: FakeUpstream
) -> None:
    upstream.set_script(ShellRoundTrip("ls"))
    client = gemini_client(gemini_proxy)
    declaration = genai_types.FunctionDeclaration(
        name="run_shell_command", description="run", parameters_json_schema=SHELL_SCHEMA
    )
    config = genai_types.GenerateContentConfig(
        tools=[genai_types.Tool(function_declarations=[declaration])],
        automatic_function_calling=genai_types.AutomaticFunctionCallingConfig(disable=True),
    )
    chunks = list(client.models.generate_content_stream(model="g", contents="ls", config=config))
    calls = [call for c in chunks for call in (c.function_calls or [])]
    assert [(call.name, call.args) for call in calls] == [("run_shell_command", {"command": "ls"})]
    call = calls[0]
    contents = [
        genai_types.Content(role="user", parts=[genai_types.Part(text="ls")]),
        genai_types.Content(role="model", parts=[genai_types.Part(function_call=call)]),
        genai_types.Content(
            role="user",
            parts=[
                genai_types.Part(
                    function_response=genai_types.FunctionResponse(
                        id=call.id, name=call.name, response={"output": "a.txt"}
                    )
                )
            ],
        ),
    ]
    answer = client.models.generate_content(model="g", contents=contents, config=config)
    assert answer.text == "FINAL: a.txt"
    # The provider got the declaration's JSON schema as its own tool's schema.
    assert '"command": {"type": "string"}' in json.dumps(upstream.requests[0].json)


def test_google_genai_gets_a_provider_error_in_its_own_shape(
    gemini_proxy: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(HttpError(429, "quota exhausted"))
    client = gemini_client(gemini_proxy)  # kept: a dropped client closes its connection
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(model="g", contents="hi")
    assert caught.value.code == 429
    assert "quota exhausted" in str(caught.value.message)


def test_gemini_count_tokens_and_models_are_local(upstream: FakeUpstream) -> None:
    thread, url = start_proxy(upstream, GEMINI, provider_protocol=CHAT)
    try:
        client = gemini_client(url)
        counted = client.models.count_tokens(model="g", contents="hello " * 100)
        assert counted.total_tokens and counted.total_tokens > 50
    finally:
        thread.stop()
    assert upstream.requests == []
