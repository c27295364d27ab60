"""Read a request body of each protocol into a protocol-neutral `Turn`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import SKIP_SIGNATURE, Protocol, ToolSpec, Turn, signature_call_id

_MAX_NESTING = 6
_SKIP_KEYS = frozenset({"type", "id", "source", "cache_control", "is_error"})


def parse_turn(protocol: Protocol, body: Any, path: str, body_size: int) -> Turn:
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    if protocol == "anthropic":
        return _anthropic(data, body_size)
    if protocol == "responses":
        return _responses(data, body_size)
    if protocol == "chat":
        return _chat(data, body_size)
    return _gemini(data, path, body_size)


def gemini_model(path: str) -> str:
    """The model segment of /v1beta/models/{model}:{method}."""
    tail = path.rsplit("/models/", 1)[-1]
    return tail.split(":", 1)[0]


# ---------------------------------------------------------------------------- helpers


def _id(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text_of(content: Any, depth: int = 0) -> str:
    """Text of a tool-result payload: a string, a list of text parts, or a dict of strings."""
    if depth > _MAX_NESTING:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (_text_of(item, depth + 1) for item in content)
        return " ".join(p for p in parts if p)
    if isinstance(content, dict):
        for key in ("text", "output", "content", "result"):
            if key in content:
                return _text_of(content[key], depth + 1)
        parts = (_text_of(v, depth + 1) for k, v in content.items() if k not in _SKIP_KEYS)
        return " ".join(p for p in parts if p)
    if content is None or isinstance(content, bool):
        return ""
    if isinstance(content, int | float):
        return str(content)
    return ""


def _function_specs(items: Iterable[dict[str, Any]], depth: int = 0) -> list[ToolSpec]:
    """Tools of the Responses API (`tools` and `additional_tools` items), namespaces flattened."""
    out: list[ToolSpec] = []
    if depth > _MAX_NESTING:
        return out
    for tool in items:
        kind = tool.get("type")
        name = tool.get("name")
        if kind == "namespace":
            out.extend(_function_specs(_dicts(tool.get("tools")), depth + 1))
        elif kind == "custom" and isinstance(name, str):
            out.append(ToolSpec(name=name, kind="custom"))
        elif kind == "function" and isinstance(name, str):
            params = tool.get("parameters")
            out.append(ToolSpec(name=name, schema=params if isinstance(params, dict) else {}))
    return out


def _schema_request(fmt: Any) -> tuple[bool, dict[str, Any] | None]:
    """(wants_json, schema) from an OpenAI/Anthropic style `format` object."""
    if not isinstance(fmt, dict):
        return False, None
    kind = fmt.get("type")
    if kind == "json_schema":
        inner = fmt.get("json_schema")
        holder = inner if isinstance(inner, dict) else fmt
        schema = holder.get("schema")
        return True, schema if isinstance(schema, dict) else {}
    if kind == "json_object":
        return True, {}
    return False, None


# ---------------------------------------------------------------------------- protocols


def _anthropic(body: dict[str, Any], size: int) -> Turn:
    tools = []
    for tool in _dicts(body.get("tools")):
        name = tool.get("name")
        if isinstance(name, str):
            schema = tool.get("input_schema")
            tools.append(ToolSpec(name=name, schema=schema if isinstance(schema, dict) else {}))
    messages = _dicts(body.get("messages"))
    results: tuple[str, ...] | None = None
    result_ids: tuple[str, ...] = ()
    for message in reversed(messages):
        role = message.get("role")
        if role == "system":  # Claude Code inserts these after a user turn
            continue
        if role == "user":
            blocks = _anthropic_results(message)
            results = tuple(_text_of(b.get("content")) for b in blocks) or None
            result_ids = tuple(_id(b.get("tool_use_id")) for b in blocks)
        break
    call_ids: list[str] = []
    every_result: list[str] = []
    for message in messages:
        if message.get("role") == "assistant":
            blocks = _dicts(message.get("content"))
            call_ids.extend(_id(b.get("id")) for b in blocks if b.get("type") == "tool_use")
        elif message.get("role") == "user":
            every_result.extend(_text_of(b.get("content")) for b in _anthropic_results(message))
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    wants_json, schema = _schema_request(fmt if fmt is not None else body.get("output_format"))
    return Turn(
        protocol="anthropic",
        model=str(body.get("model", "")),
        stream=body.get("stream") is True,
        tools=tuple(tools),
        tool_results=results,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=result_ids,
        call_ids=tuple(call_ids),
        all_tool_results=tuple(every_result),
    )


def _anthropic_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in _dicts(message.get("content")) if b.get("type") == "tool_result"]


_RESULT_ITEMS = ("function_call_output", "custom_tool_call_output")
_CALL_ITEMS = ("function_call", "custom_tool_call")


def _responses(body: dict[str, Any], size: int) -> Turn:
    items = _dicts(body.get("input"))
    tools = _function_specs(_dicts(body.get("tools")))
    for item in items:
        if item.get("type") == "additional_tools":  # codex "responses lite"
            tools.extend(_function_specs(_dicts(item.get("tools"))))
    found: list[str] = []
    found_ids: list[str] = []
    for item in reversed(items):
        kind = item.get("type")
        if kind in _RESULT_ITEMS:
            found.append(_text_of(item.get("output")))
            found_ids.append(_id(item.get("call_id")))
            continue
        if kind in ("message", None) and item.get("role") in ("developer", "system"):
            continue
        if kind in ("additional_tools", "configuration_update"):
            continue
        break
    text = body.get("text")
    wants_json, schema = _schema_request(text.get("format") if isinstance(text, dict) else None)
    return Turn(
        protocol="responses",
        model=str(body.get("model", "")),
        stream=body.get("stream") is True,
        tools=tuple(tools),
        tool_results=tuple(reversed(found)) if found else None,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=tuple(reversed(found_ids)),
        call_ids=tuple(_id(i.get("call_id")) for i in items if i.get("type") in _CALL_ITEMS),
        all_tool_results=tuple(
            _text_of(i.get("output")) for i in items if i.get("type") in _RESULT_ITEMS
        ),
    )


def _before_context_notes(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages without the user messages a client puts after its tool results (OpenClaw
    adds its "internal context" there), so that they do not hide the results; unchanged when
    no tool result comes before them."""
    end = len(messages)
    while end and messages[end - 1].get("role") == "user":
        end -= 1
    if end < len(messages) and end and messages[end - 1].get("role") in ("tool", "function"):
        return messages[:end]
    return messages


def _chat(body: dict[str, Any], size: int) -> Turn:
    tools: list[ToolSpec] = []
    for tool in _dicts(body.get("tools")):
        fn = tool.get("function")
        if tool.get("type", "function") == "function" and isinstance(fn, dict):
            name = fn.get("name")
            params = fn.get("parameters")
            if isinstance(name, str):
                tools.append(ToolSpec(name=name, schema=params if isinstance(params, dict) else {}))
    messages = _dicts(body.get("messages"))
    found: list[str] = []
    found_ids: list[str] = []
    for message in reversed(_before_context_notes(messages)):
        role = message.get("role")
        if role in ("tool", "function"):
            found.append(_text_of(message.get("content")))
            found_ids.append(_id(message.get("tool_call_id")))
            continue
        if role in ("system", "developer"):
            continue
        break
    call_ids = [
        _id(call.get("id"))
        for message in messages
        if message.get("role") == "assistant"
        for call in _dicts(message.get("tool_calls"))
    ]
    every_result = [
        _text_of(m.get("content")) for m in messages if m.get("role") in ("tool", "function")
    ]
    wants_json, schema = _schema_request(body.get("response_format"))
    return Turn(
        protocol="chat",
        model=str(body.get("model", "")),
        stream=body.get("stream") is True,
        tools=tuple(tools),
        tool_results=tuple(reversed(found)) if found else None,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=tuple(reversed(found_ids)),
        call_ids=tuple(call_ids),
        all_tool_results=tuple(every_result),
        tool_pairing_errors=chat_pairing_errors(messages),
    )


def chat_pairing_errors(messages: list[dict[str, Any]]) -> tuple[str, ...]:
    """Where a Chat history breaks the tool-call pairing OpenAI enforces (it answers 400).

    An assistant message with `tool_calls` must be followed directly by one `tool` message per
    call id (in any order), and each `tool` message must answer a call of that message.
    """
    problems: list[str] = []
    open_ids: list[str] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if isinstance(call_id, str) and call_id in open_ids:
                open_ids.remove(call_id)
            else:
                problems.append(f"messages[{index}]: tool_call_id {call_id!r} answers no open call")
            continue
        if open_ids:
            problems.append(f"messages[{index}] ({role}): calls {open_ids} are still unanswered")
            open_ids = []
        if role == "assistant":
            ids = [call.get("id") for call in _dicts(message.get("tool_calls"))]
            if any(not isinstance(i, str) or not i for i in ids):
                problems.append(f"messages[{index}]: a tool call without an id")
            open_ids = [i for i in dict.fromkeys(ids) if isinstance(i, str) and i]
            for call_id in open_ids:
                if ids.count(call_id) > 1:
                    problems.append(f"messages[{index}]: tool call id {call_id!r} repeats")
    if open_ids:
        problems.append(f"the last assistant calls {open_ids} are unanswered")
    return tuple(problems)


def _gemini(body: dict[str, Any], path: str, size: int) -> Turn:
    tools: list[ToolSpec] = []
    for group in _dicts(body.get("tools")):
        for decl in _dicts(group.get("functionDeclarations")):
            name = decl.get("name")
            # Google reads proto field names in either case; google-genai sends snake_case.
            keys = ("parametersJsonSchema", "parameters_json_schema", "parameters")
            params = next((decl[k] for k in keys if isinstance(decl.get(k), dict)), None)
            if isinstance(name, str):
                tools.append(ToolSpec(name=name, schema=params if isinstance(params, dict) else {}))
    contents = _dicts(body.get("contents"))
    found: list[str] = []
    found_ids: list[str] = []
    if contents:
        for part in _dicts(contents[-1].get("parts")):
            response = part.get("functionResponse")
            if isinstance(response, dict):
                found.append(_text_of(response.get("response")))
                found_ids.append(_id(response.get("id")))
    parts = [part for content in contents for part in _dicts(content.get("parts"))]
    calls = [p["functionCall"] for p in parts if isinstance(p.get("functionCall"), dict)]
    responses = [
        p["functionResponse"] for p in parts if isinstance(p.get("functionResponse"), dict)
    ]
    signatures = [
        part.get("thoughtSignature", "")
        for part in parts
        if isinstance(part.get("functionCall"), dict)
    ]
    config = body.get("generationConfig")
    config = config if isinstance(config, dict) else {}
    wants_json = config.get("responseMimeType") == "application/json"
    schema: dict[str, Any] | None = None
    if wants_json:
        raw = config.get("responseJsonSchema", config.get("responseSchema"))
        schema = raw if isinstance(raw, dict) else {}
    return Turn(
        protocol="gemini",
        model=gemini_model(path),
        stream=":streamGenerateContent" in path,
        tools=tuple(tools),
        tool_results=tuple(found) if found else None,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=tuple(found_ids),
        call_ids=tuple(_id(c.get("id")) for c in calls),
        all_tool_results=tuple(_text_of(r.get("response")) for r in responses),
        call_signatures=tuple(s if isinstance(s, str) else "" for s in signatures),
        wire_problems=gemini_problems(body),
    )


# ---------------------------------------------------------------------------- Gemini checks


def _camel_and_snake(*names: str) -> frozenset[str]:
    """Google reads proto JSON names in camelCase and in snake_case."""
    snake = ("".join("_" + c.lower() if c.isupper() else c for c in n) for n in names)
    return frozenset((*names, *snake))


_REQUEST_KEYS = _camel_and_snake(
    "contents",
    "tools",
    "toolConfig",
    "safetySettings",
    "systemInstruction",
    "generationConfig",
    "cachedContent",
    "model",
)
_GENERATION_KEYS = _camel_and_snake(
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "speechConfig",
    "thinkingConfig",
    "mediaResolution",
    "imageConfig",
)
_THINKING_KEYS = _camel_and_snake("includeThoughts", "thinkingBudget", "thinkingLevel")
_CONTENT_KEYS = frozenset({"role", "parts"})
_PART_KEYS = _camel_and_snake(
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "thought",
    "thoughtSignature",
    "videoMetadata",
    "partMetadata",
    "mediaResolution",
)
_CALL_KEYS = frozenset({"id", "name", "args"})
_RESPONSE_KEYS = _camel_and_snake("id", "name", "response", "parts", "willContinue", "scheduling")
_TOOL_KEYS = _camel_and_snake(
    "functionDeclarations",
    "googleSearch",
    "googleSearchRetrieval",
    "codeExecution",
    "urlContext",
    "computerUse",
    "fileSearch",
    "googleMaps",
)
_DECLARATION_KEYS = _camel_and_snake(
    "name",
    "description",
    "parameters",
    "parametersJsonSchema",
    "response",
    "responseJsonSchema",
    "behavior",
)
# The OpenAPI subset `parameters` takes (Gemini's Schema message); `parametersJsonSchema`
# takes JSON Schema and is not checked here.
_OPENAPI_SCHEMA_KEYS = _camel_and_snake(
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
)


def _unknown(where: str, value: dict[str, Any], known: frozenset[str]) -> list[str]:
    extra = sorted(set(value) - known)
    return [f"{where}: unknown member(s) {extra}"] if extra else []


def _openapi_schema(where: str, schema: Any, depth: int = 0) -> list[str]:
    if depth > 3 * _MAX_NESTING:
        return []
    if not isinstance(schema, dict):
        return [f"{where}: a schema must be an object"]
    problems = _unknown(where, schema, _OPENAPI_SCHEMA_KEYS)
    if "type" in schema and not isinstance(schema["type"], str):
        problems.append(f"{where}.type: must be one type name, not {schema['type']!r}")
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            problems += _openapi_schema(f"{where}.properties.{name}", sub, depth + 1)
    if "items" in schema:
        problems += _openapi_schema(f"{where}.items", schema["items"], depth + 1)
    for index, sub in enumerate(schema.get("anyOf") or []):
        problems += _openapi_schema(f"{where}.anyOf[{index}]", sub, depth + 1)
    return problems


def _declaration_problems(tools: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for t, tool in enumerate(tools):
        problems += _unknown(f"tools[{t}]", tool, _TOOL_KEYS)
        for d, decl in enumerate(_dicts(tool.get("functionDeclarations"))):
            where = f"tools[{t}].functionDeclarations[{d}]"
            problems += _unknown(where, decl, _DECLARATION_KEYS)
            if not isinstance(decl.get("name"), str) or not decl["name"]:
                problems.append(f"{where}: no name")
            if "parameters" in decl and "parametersJsonSchema" in decl:
                problems.append(f"{where}: both parameters and parametersJsonSchema")
            if "parameters" in decl:
                problems += _openapi_schema(f"{where}.parameters", decl["parameters"])
    return problems


def _parts_problems(contents: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for c, content in enumerate(contents):
        problems += _unknown(f"contents[{c}]", content, _CONTENT_KEYS)
        if content.get("role") not in ("user", "model", None):
            problems.append(f"contents[{c}]: role {content.get('role')!r} is not user or model")
        for p, part in enumerate(_dicts(content.get("parts"))):
            where = f"contents[{c}].parts[{p}]"
            problems += _unknown(where, part, _PART_KEYS)
            call, response = part.get("functionCall"), part.get("functionResponse")
            if isinstance(call, dict):
                problems += _unknown(f"{where}.functionCall", call, _CALL_KEYS)
                if content.get("role") != "model":
                    problems.append(f"{where}: a functionCall outside a model content")
            if isinstance(response, dict):
                problems += _unknown(f"{where}.functionResponse", response, _RESPONSE_KEYS)
                if not isinstance(response.get("response"), dict):
                    problems.append(f"{where}: functionResponse.response must be an object")
    return problems


def _calls_and_responses(content: dict[str, Any]) -> tuple[list[dict[str, Any]], ...]:
    parts = _dicts(content.get("parts"))
    calls = [p["functionCall"] for p in parts if isinstance(p.get("functionCall"), dict)]
    responses = [
        p["functionResponse"] for p in parts if isinstance(p.get("functionResponse"), dict)
    ]
    return calls, responses


def _pairing_problems(contents: list[dict[str, Any]]) -> list[str]:
    """A content of function calls is followed by one with exactly as many responses, which
    answer those calls (by name, and by id where both carry one); no other responses."""
    problems: list[str] = []
    open_calls: list[dict[str, Any]] | None = None
    for c, content in enumerate(contents):
        calls, responses = _calls_and_responses(content)
        if open_calls is not None:
            names = sorted(str(x.get("name")) for x in open_calls)
            ids = {x.get("id") for x in open_calls if x.get("id")}
            answered = sorted(str(r.get("name")) for r in responses)
            if answered != names:
                problems.append(
                    f"contents[{c}]: function responses {answered} do not answer the calls "
                    f"{names} of contents[{c - 1}]"
                )
            for r in responses:
                if r.get("id") and ids and r["id"] not in ids:
                    problems.append(f"contents[{c}]: response id {r['id']!r} answers no call")
        elif responses:
            problems.append(f"contents[{c}]: function responses without calls before them")
        open_calls = calls if calls else None
    if open_calls is not None:
        problems.append(f"contents[{len(contents) - 1}]: the last function calls are unanswered")
    return problems


def _signature_problems(contents: list[dict[str, Any]]) -> list[str]:
    """Gemini 3: in the current turn (after the last user content with text), the first
    function call of each model content carries a thought signature that Gemini issued, or
    the sentinel that skips the check."""
    start = 0
    for c, content in enumerate(contents):
        parts = _dicts(content.get("parts"))
        if content.get("role") != "model" and any(isinstance(p.get("text"), str) for p in parts):
            start = c
    problems: list[str] = []
    for c in range(start, len(contents)):
        content = contents[c]
        if content.get("role") != "model":
            continue
        for p, part in enumerate(_dicts(content.get("parts"))):
            if not isinstance(part.get("functionCall"), dict):
                continue
            signature = part.get("thoughtSignature")
            if signature is None:
                problems.append(f"contents[{c}].parts[{p}]: function call without thoughtSignature")
            elif signature != SKIP_SIGNATURE and (
                not isinstance(signature, str) or signature_call_id(signature) is None
            ):
                problems.append(
                    f"contents[{c}].parts[{p}]: thoughtSignature {signature!r} is invalid"
                )
            break  # only the first call of a content must be signed
    return problems


def gemini_problems(body: Any) -> tuple[str, ...]:
    """What a real Gemini API (a Gemini 3 model) would refuse in a generateContent body."""
    if not isinstance(body, dict):
        return ("the body is not a JSON object",)
    problems = _unknown("request", body, _REQUEST_KEYS)
    config = body.get("generationConfig")
    if isinstance(config, dict):
        problems += _unknown("generationConfig", config, _GENERATION_KEYS)
        thinking = config.get("thinkingConfig")
        if isinstance(thinking, dict):
            problems += _unknown("generationConfig.thinkingConfig", thinking, _THINKING_KEYS)
    contents = _dicts(body.get("contents"))
    if not contents:
        problems.append("contents: empty")
    problems += _declaration_problems(_dicts(body.get("tools")))
    problems += _parts_problems(contents)
    problems += _pairing_problems(contents)
    problems += _signature_problems(contents)
    return tuple(problems)
