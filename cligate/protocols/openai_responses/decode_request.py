"""Read a Responses API request body (``POST /v1/responses``) into the neutral form.

Choices where the protocol leaves room:
- ``instructions`` and the leading ``developer``/``system`` messages form ``Request.system``;
  later ones stay in place as ``Message(role="system")``.
- Items of one model turn (assistant messages, reasoning, function and custom tool calls) form
  one assistant message, in order; a run of tool outputs forms one user message. Reasoning
  keeps its summary as the thinking text and ``encrypted_content`` as ``Thinking.encrypted``;
  an ``encrypted_content`` this codec wrote itself to carry another vendor's thinking signature
  (see ``encode_response.py``) becomes that signature again.
- Nothing that names state held by OpenAI can be honoured (cligate keeps none):
  ``previous_response_id``, ``conversation``, a stored ``prompt``, ``item_reference`` items and
  ``file_id`` inputs are refused with a ``DecodeError``, as are item types with no neutral form.
- Codex's non-standard "responses lite" shape (``additional_tools`` / ``configuration_update``
  items) is refused with advice: Codex picks it from the model name.
- Hosted tools (web search, file search, code interpreter, MCP, namespaces…) go to
  ``extras["hosted_tools"]`` for the target's encoder to record; a client-executed
  ``tool_search`` with a parameter schema is an ordinary function tool.
- Parts of an option that have no neutral field go to extras under a dotted name
  (``reasoning.summary``, ``text.verbosity``); every other unknown field by its name.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Literal

from cligate.protocols import ir
from cligate.protocols.fields import optional_bool, optional_number, optional_string
from cligate.protocols.thinking import parse_effort

# An encrypted_content written by this codec: another vendor's reasoning, carried to the next
# turn through the client (which sends encrypted_content back as it got it).
SIGNATURE_MARK = "cligate:signature:"
REDACTED_MARK = "cligate:redacted:"
# The client-run tool search: a function to the target, a tool_search_call to the client.
TOOL_SEARCH = "tool_search"

STATELESS = (
    "cligate keeps no conversation state: previous_response_id cannot be honoured; send the "
    "whole conversation (Codex does with store=false)"
)
LITE_ADVICE = (
    'Codex switched to its non-standard "responses lite" request shape (an {kind!r} item '
    "instead of 'tools'), which it does for some model names; cligate cannot translate it. "
    "Pick another model name: cligate run codex --model NAME, or bind a model for codex."
)
_LITE_ITEMS = frozenset({"additional_tools", "configuration_update"})

_KNOWN = frozenset(
    {
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "max_output_tokens",
        "temperature",
        "top_p",
        "text",
        "stream",
        "user",
        "safety_identifier",
        "previous_response_id",
        "conversation",
        "prompt",
    }
)
_TOOL_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output", "tool_search_output"})
_MODEL_ITEMS = frozenset({"reasoning", "function_call", "custom_tool_call", "tool_search_call"})
_SEPARATOR = "\n\n"

Group = Literal["assistant", "tools"]


def decode_request(body: Mapping[str, Any]) -> ir.Request:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("the request body is not a JSON object")
    _refuse_state(body)
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise ir.DecodeError("model: must be a string")
    extras: dict[str, Any] = {
        key: value for key, value in body.items() if key not in _KNOWN and value is not None
    }
    system = list(_instructions(body.get("instructions")))
    leading, messages = _input(body.get("input"))
    system.extend(leading)
    tools, hosted = _tools(body.get("tools"))
    if hosted:
        extras["hosted_tools"] = hosted
    user = optional_string(body, "user")
    identifier = optional_string(body, "safety_identifier")
    if user is None:
        user = identifier
    elif identifier is not None:
        extras["safety_identifier"] = identifier
    return ir.Request(
        model=model,
        messages=messages,
        system=tuple(system),
        tools=tools,
        tool_choice=_tool_choice(body, extras),
        max_tokens=_max_tokens(body),
        temperature=optional_number(body, "temperature"),
        top_p=optional_number(body, "top_p"),
        stream=optional_bool(body, "stream") or False,
        thinking=_reasoning(body.get("reasoning"), extras),
        output_format=_text(body.get("text"), extras),
        user=user,
        extras=extras,
    )


def _refuse_state(body: Mapping[str, Any]) -> None:
    if body.get("previous_response_id") is not None:
        raise ir.DecodeError(STATELESS)
    if body.get("conversation") is not None:
        raise ir.DecodeError(
            "conversation: cligate keeps no conversation state; send the whole conversation "
            "in 'input'"
        )
    if body.get("prompt") is not None:
        raise ir.DecodeError(
            "prompt: a stored prompt is held by OpenAI and cannot be read here; send "
            "'instructions' and 'input' instead"
        )
    items = body.get("input")
    if isinstance(items, list):
        for index, item in enumerate(items):
            kind = item.get("type") if isinstance(item, Mapping) else None
            if isinstance(kind, str) and kind in _LITE_ITEMS:
                raise ir.DecodeError(f"input[{index}]: " + LITE_ADVICE.format(kind=kind))


# --- input ---------------------------------------------------------------------------------


def _instructions(raw: object) -> tuple[ir.Text, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, str):
        raise ir.DecodeError("instructions: must be a string")
    return (ir.Text(raw),) if raw else ()


class _Conversation:
    """Items in, messages out: one turn's model items together, tool outputs together."""

    def __init__(self) -> None:
        self.system: list[ir.Text] = []
        self.messages: list[ir.Message] = []
        self.parts: list[ir.Part] = []
        self.group: Group | None = None

    def add(self, group: Group, part: ir.Part) -> None:
        if self.group != group:
            self.flush()
            self.group = group
        self.parts.append(part)

    def calls_in_turn(self, call_id: str) -> bool:
        """Whether the open model turn already has a call with this id."""
        return self.group == "assistant" and any(
            isinstance(p, ir.ToolCall) and p.id == call_id for p in self.parts
        )

    def message(self, message: ir.Message) -> None:
        self.flush()
        if message.role == "system" and not self.messages:
            self.system.extend(p for p in message.parts if isinstance(p, ir.Text))
        else:
            self.messages.append(message)

    def flush(self) -> None:
        if self.parts and self.group is not None:
            role: ir.Role = "assistant" if self.group == "assistant" else "user"
            self.messages.append(ir.Message(role, tuple(self.parts)))
        self.parts = []
        self.group = None


def _input(raw: object) -> tuple[tuple[ir.Text, ...], tuple[ir.Message, ...]]:
    if isinstance(raw, str):
        return (), (ir.Message("user", (ir.Text(raw),) if raw else ()),)
    if not isinstance(raw, list) or not raw:
        raise ir.DecodeError("input: must be a string or a non-empty list of items")
    conversation = _Conversation()
    for index, item in enumerate(raw):
        _item(item, f"input[{index}]", conversation)
    conversation.flush()
    return tuple(conversation.system), tuple(conversation.messages)


def _item(item: object, where: str, conversation: _Conversation) -> None:
    if not isinstance(item, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    kind = item.get("type")
    if kind is None and "role" in item:
        kind = "message"  # the SDK's EasyInputMessage may leave the type out
    if not isinstance(kind, str) or not kind:
        raise ir.DecodeError(f"{where}: 'type' is missing")
    if kind == "message":
        role = item.get("role")
        if role == "assistant":
            for part in _content(item.get("content"), where, "assistant"):
                conversation.add("assistant", part)
        elif role in ("system", "developer"):
            texts = _content(item.get("content"), where, "system")
            conversation.message(ir.Message("system", texts))
        elif role == "user":
            conversation.message(ir.Message("user", _content(item.get("content"), where, "user")))
        else:
            raise ir.DecodeError(f"{where}.role: unknown role {role!r}")
    elif kind in _MODEL_ITEMS:
        said = _model_item(kind, item, where)
        if isinstance(said, ir.ToolCall) and conversation.calls_in_turn(said.id):
            raise ir.DecodeError(f"{where}: duplicate call_id {said.id!r} in one turn")
        conversation.add("assistant", said)
    elif kind in _TOOL_OUTPUTS:
        conversation.add("tools", _tool_output(kind, item, where))
    elif kind == "item_reference":
        raise ir.DecodeError(
            f"{where}: item_reference cannot be resolved: cligate keeps no stored items; send "
            "the items themselves"
        )
    else:
        raise ir.DecodeError(f"{where}.type: input items of type {kind!r} cannot be translated")


def _model_item(kind: str, item: Mapping[str, Any], where: str) -> ir.Thinking | ir.ToolCall:
    if kind == "reasoning":
        return _reasoning_item(item, where)
    if kind == "tool_search_call":
        call_id = item.get("call_id") or item.get("id")
        if not isinstance(call_id, str) or not call_id:
            raise ir.DecodeError(f"{where}: 'call_id' is missing")
        arguments = item.get("arguments")
        text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
        return ir.ToolCall(call_id, TOOL_SEARCH, text)
    call_id = _required_str(item, "call_id", where)
    name = _required_str(item, "name", where)
    if kind == "custom_tool_call":
        value = item.get("input")
        if not isinstance(value, str):
            raise ir.DecodeError(f"{where}: 'input' must be a string")
        return ir.ToolCall(call_id, name, value, "custom")
    arguments = item.get("arguments")
    if arguments is None:
        arguments = ""
    elif not isinstance(arguments, str):
        raise ir.DecodeError(f"{where}: 'arguments' must be a string")
    return ir.ToolCall(call_id, name, arguments)


def _reasoning_item(item: Mapping[str, Any], where: str) -> ir.Thinking:
    texts = []
    for key, part_type in (("summary", "summary_text"), ("content", "reasoning_text")):
        parts = item.get(key)
        if parts is None:
            continue
        if not isinstance(parts, list):
            raise ir.DecodeError(f"{where}.{key}: must be a list")
        for index, part in enumerate(parts):
            if not isinstance(part, Mapping) or not isinstance(part.get("text"), str):
                raise ir.DecodeError(f"{where}.{key}[{index}]: 'text' must be a string")
            if part.get("type", part_type) != part_type:
                raise ir.DecodeError(f"{where}.{key}[{index}].type: must be {part_type!r}")
            texts.append(part["text"])
        if texts:
            break  # the summary is what the client saw; raw reasoning only without one
    text = _SEPARATOR.join(texts)
    encrypted = item.get("encrypted_content")
    if encrypted is None:
        return ir.Thinking(text=text)
    if not isinstance(encrypted, str):
        raise ir.DecodeError(f"{where}.encrypted_content: must be a string")
    if encrypted.startswith(SIGNATURE_MARK):
        return ir.Thinking(text=text, signature=encrypted[len(SIGNATURE_MARK) :])
    if encrypted.startswith(REDACTED_MARK):
        return ir.Thinking(redacted=encrypted[len(REDACTED_MARK) :])
    return ir.Thinking(text=text, encrypted=encrypted)


def _tool_output(kind: str, item: Mapping[str, Any], where: str) -> ir.ToolResult:
    call_id = _required_str(item, "call_id", where)
    if kind == "tool_search_output":
        # The tools a client-run search found, as the model will read them.
        return ir.ToolResult(call_id, (ir.Text(json.dumps(item.get("tools") or [])),))
    output = item.get("output")
    if isinstance(output, str):
        return ir.ToolResult(call_id, (ir.Text(output),))
    if not isinstance(output, list):
        raise ir.DecodeError(f"{where}.output: must be a string or a list of parts")
    parts: list[ir.Text | ir.Image] = []
    for index, raw in enumerate(output):
        part = _part(raw, f"{where}.output[{index}]", "user")
        if not isinstance(part, ir.Text | ir.Image):
            raise ir.DecodeError(f"{where}.output[{index}]: only text and images are allowed here")
        parts.append(part)
    return ir.ToolResult(call_id, tuple(parts))


# --- content -------------------------------------------------------------------------------

Side = Literal["user", "assistant", "system"]


def _content(raw: object, where: str, side: Side) -> tuple[ir.Text | ir.Image | ir.Document, ...]:
    if isinstance(raw, str):
        return (ir.Text(raw),) if raw else ()
    if not isinstance(raw, list):
        raise ir.DecodeError(f"{where}.content: must be a string or a list of parts")
    return tuple(_part(part, f"{where}.content[{i}]", side) for i, part in enumerate(raw))


def _part(part: object, where: str, side: Side) -> ir.Text | ir.Image | ir.Document:
    if not isinstance(part, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    kind = part.get("type")
    if kind in ("input_text", "output_text", "refusal"):
        key = "refusal" if kind == "refusal" else "text"
        text = part.get(key)
        if not isinstance(text, str):
            raise ir.DecodeError(f"{where}: '{key}' must be a string")
        return ir.Text(text)
    if side != "user":
        raise ir.DecodeError(f"{where}: only text parts are allowed in a {side} message")
    if kind == "input_image":
        return _image(part, where)
    if kind == "input_file":
        return _file(part, where)
    raise ir.DecodeError(f"{where}.type: unknown part type {kind!r}")


def _data_url(url: str, where: str) -> tuple[str, str]:
    """(media type, base64 data) of a ``data:`` URL."""
    header, comma, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not comma or encoding.lower() != "base64" or not media_type:
        raise ir.DecodeError(f"{where}: only base64 data URLs with a media type are supported")
    return media_type.lower(), data


def _image(part: Mapping[str, Any], where: str) -> ir.Image:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        if part.get("file_id") is not None:
            raise ir.DecodeError(
                f"{where}: 'file_id' names a file uploaded to OpenAI, which cligate cannot "
                "fetch; send the image as image_url (a data URL or an http URL)"
            )
        raise ir.DecodeError(f"{where}: 'image_url' is missing")
    if url.startswith("data:"):
        media_type, data = _data_url(url, f"{where}.image_url")
        if media_type == "image/jpg":  # a common misspelling the targets refuse
            media_type = "image/jpeg"
        return ir.Image(media_type=media_type, data=data)
    if not url.startswith(("http://", "https://")):
        raise ir.DecodeError(f"{where}.image_url: must be a data URL or an http(s) URL")
    return ir.Image(url=url)


def _file(part: Mapping[str, Any], where: str) -> ir.Document:
    name = part.get("filename")
    title = name if isinstance(name, str) and name else None
    url = part.get("file_url")
    if isinstance(url, str) and url:
        return ir.Document(url=url, title=title)
    data = part.get("file_data")
    if not isinstance(data, str) or not data:
        if part.get("file_id") is not None:
            raise ir.DecodeError(
                f"{where}: 'file_id' names a file uploaded to OpenAI, which cligate cannot "
                "fetch; send the file as file_data"
            )
        raise ir.DecodeError(f"{where}: 'file_data' is missing")
    if data.startswith("data:"):
        media_type, data = _data_url(data, f"{where}.file_data")
    elif title and title.lower().endswith((".txt", ".md")):
        media_type = "text/plain"
    else:
        media_type = "application/pdf"
    if media_type == "application/pdf":
        return ir.Document(media_type=media_type, data=data, title=title)
    if media_type.startswith("text/"):
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ir.DecodeError(f"{where}.file_data: not base64 UTF-8 text") from None
        return ir.Document(media_type="text/plain", text=text, title=title)
    raise ir.DecodeError(f"{where}: unsupported file type {media_type!r}")


# --- tools ---------------------------------------------------------------------------------


def _tools(raw: object) -> tuple[tuple[ir.ToolDef, ...], list[Any]]:
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        raise ir.DecodeError("tools: must be a list")
    tools: list[ir.ToolDef] = []
    hosted: list[Any] = []
    for index, tool in enumerate(raw):
        where = f"tools[{index}]"
        if not isinstance(tool, Mapping):
            raise ir.DecodeError(f"{where}: must be an object")
        kind = tool.get("type")
        if kind == "function":
            tools.append(_function_tool(tool, where, _required_str(tool, "name", where)))
        elif kind == "custom":
            fmt = tool.get("format")
            if fmt is not None and not isinstance(fmt, Mapping):
                raise ir.DecodeError(f"{where}.format: must be an object")
            name = _required_str(tool, "name", where)
            description = _description(tool, where)
            tools.append(ir.ToolDef(name, description, kind="custom", format=fmt))
        elif kind == "tool_search" and tool.get("execution") == "client":
            # Run by the client like a function; hosted search otherwise.
            tools.append(_function_tool(tool, where, TOOL_SEARCH))
        elif isinstance(kind, str) and kind:
            hosted.append(tool)
        else:
            raise ir.DecodeError(f"{where}: 'type' is missing")
    return tuple(tools), hosted


def _function_tool(tool: Mapping[str, Any], where: str, name: str) -> ir.ToolDef:
    parameters = tool.get("parameters")
    if parameters is not None and not isinstance(parameters, Mapping):
        raise ir.DecodeError(f"{where}.parameters: must be an object")
    return ir.ToolDef(name, _description(tool, where), parameters or {})


def _description(tool: Mapping[str, Any], where: str) -> str:
    description = tool.get("description")
    if description is not None and not isinstance(description, str):
        raise ir.DecodeError(f"{where}.description: must be a string")
    return description or ""


def _tool_choice(body: Mapping[str, Any], extras: dict[str, Any]) -> ir.ToolChoice | None:
    raw = body.get("tool_choice")
    parallel = optional_bool(body, "parallel_tool_calls")
    mode, name = None, None
    if isinstance(raw, str):
        modes = {
            "auto": ir.ToolChoiceMode.AUTO,
            "none": ir.ToolChoiceMode.NONE,
            "required": ir.ToolChoiceMode.ANY,
        }
        if raw not in modes:
            raise ir.DecodeError(f"tool_choice: unknown value {raw!r}")
        mode = modes[raw]
    elif isinstance(raw, Mapping) and raw.get("type") in ("function", "custom"):
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise ir.DecodeError("tool_choice: 'name' is missing")
        mode = ir.ToolChoiceMode.TOOL
    elif isinstance(raw, Mapping):
        extras["tool_choice"] = raw  # allowed_tools, a hosted tool: no neutral form
    elif raw is not None:
        raise ir.DecodeError("tool_choice: must be a string or an object")
    if mode is None and parallel is None:
        return None
    return ir.ToolChoice(mode or ir.ToolChoiceMode.AUTO, name, parallel)


# --- options -------------------------------------------------------------------------------


def _rest(raw: Mapping[str, Any], key: str, used: str, extras: dict[str, Any]) -> None:
    """The members of option ``key`` besides ``used``, as ``key.member`` extras."""
    for member, value in raw.items():
        if member != used and value is not None:
            extras[f"{key}.{member}"] = value


def _reasoning(raw: object, extras: dict[str, Any]) -> ir.ThinkingConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ir.DecodeError("reasoning: must be an object")
    _rest(raw, "reasoning", "effort", extras)
    effort = raw.get("effort")
    if effort is None:
        return None
    if effort == "none":
        return ir.ThinkingConfig(enabled=False)
    parsed = parse_effort(effort)
    if parsed is None:
        raise ir.DecodeError(f"reasoning.effort: unknown value {effort!r}")
    return ir.ThinkingConfig(enabled=parsed is not ir.Effort.MINIMAL, effort=parsed)


def _text(raw: object, extras: dict[str, Any]) -> ir.OutputFormat | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ir.DecodeError("text: must be an object")
    _rest(raw, "text", "format", extras)
    fmt = raw.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, Mapping):
        raise ir.DecodeError("text.format: must be an object")
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return ir.OutputFormat(schema=None)
    if kind != "json_schema":
        raise ir.DecodeError(f"text.format.type: unknown value {kind!r}")
    schema = fmt.get("schema")
    if schema is not None and not isinstance(schema, Mapping):
        raise ir.DecodeError("text.format.schema: must be an object")
    name, strict = fmt.get("name"), fmt.get("strict")
    return ir.OutputFormat(
        schema=schema,
        name=name if isinstance(name, str) else None,
        strict=strict if isinstance(strict, bool) else None,
    )


def _required_str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ir.DecodeError(f"{where}: '{key}' is missing")
    return value


def _max_tokens(body: Mapping[str, Any]) -> int | None:
    value = body.get("max_output_tokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ir.DecodeError("max_output_tokens: must be an integer")
    if value < 1:
        raise ir.DecodeError("max_output_tokens: must be at least 1")
    return value
