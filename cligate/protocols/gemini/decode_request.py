"""Read a Gemini API request body (``…:generateContent`` / ``…:streamGenerateContent``) into the
neutral form.

The model and streaming are named in the URL path: the handler sets them, so the request
decoded here has ``model=None`` and ``stream=False``.

Choices where the protocol leaves room:
- Member names are read in the camelCase the SDKs send and in the snake_case protobuf JSON
  also accepts (``functionCall`` / ``function_call``).
- Each ``Content`` becomes one message: role ``model`` is the assistant, ``user`` (or none)
  the user; the legacy role ``function`` (function responses) is the user too.
- ``thought: true`` text is thinking; its ``thoughtSignature`` is kept as the thinking's
  signature, except Gemini CLI's stand-in ``skip_thought_signature_validator``, which is no
  signature any vendor would take. A ``thoughtSignature`` on a plain text part has no neutral
  place and is left out (only Gemini itself reads it). On a ``functionCall`` part it is the
  call's ``signature``, the stand-in included: Gemini wants it back with the call, and no other
  protocol's encoder writes it.
- A ``functionCall`` without an ``id`` gets ``{name}_{content index}_{call index}``, the same
  for the same request, so its response pairs with it. ``args`` become compact JSON text; the
  ``{"_raw_arguments": text}`` object the encoders write for arguments that were not a JSON
  object becomes that text again. Two calls with one id in one turn are refused.
- A ``functionResponse`` pairs by ``id`` with a call of the latest model turn; without an id
  (or with one no call has) by name, with that turn's first unanswered call of that name.
  One that pairs with nothing keeps its id (or a made-up one) and is the target encoder's
  orphan. Its content: ``response.output`` alone → that text; ``response.error`` alone →
  that text as an error; anything else → the whole response as JSON text (an error when it
  has ``error`` and no ``output``). Images in its ``parts`` follow the text; documents (Gemini
  CLI's ``read_file`` of a PDF nests one there for Gemini 3 models) cannot be in a tool
  result and follow it in the turn, as Gemini CLI itself places them for other models.
- ``executableCode`` and ``codeExecutionResult`` parts (the hosted code tool's record) become
  text saying what they were, so the model still reads them.
- ``inlineData``: images → images, ``application/pdf`` → documents, ``text/*`` → plain-text
  documents; other media (audio, video) are refused. ``fileData`` needs an http(s) URL another
  provider can fetch: files uploaded to Google (``gs://``, the Files API) are refused, as is a
  cached prompt nobody else holds (``cachedContent`` goes to extras and is recorded dropped).
- Schemas (``parameters``, ``responseSchema``: Gemini's OpenAPI subset) become JSON schemas:
  upper-case type names lower-cased, ``nullable`` as a ``"null"`` type, ``propertyOrdering``
  and ``example`` left out, int64 limits sent as strings made numbers. ``parametersJsonSchema``
  and ``responseJsonSchema`` are JSON schemas already and only get their type names
  lower-cased (Gemini CLI writes ``"type": "OBJECT"`` in them, which JSON Schema does not know).
- Tools Google runs itself (``googleSearch``, ``codeExecution``, ``urlContext``, …) go to
  ``extras["hosted_tools"]`` as ``{"type": name}`` for the target's encoder to record.
- ``functionCallingConfig``: ``AUTO`` and ``VALIDATED`` are auto, ``ANY`` is any (one allowed
  name: that tool), ``NONE`` none; other allowed-name lists go to extras.
- ``thinkingConfig``: ``thinkingBudget`` 0 turns thinking off, -1 is adaptive, N a budget;
  ``thinkingLevel`` is an effort (``MINIMAL`` may not think: thinking off, as the Responses
  codec reads ``minimal``). ``includeThoughts: true`` is what cligate does anyway (thinking is
  shown); ``false`` goes to extras.
- ``responseMimeType: application/json`` asks for JSON: with a schema structured output, else
  JSON mode. Other media types and parts of options without a neutral field go to extras under
  a dotted name (``generationConfig.seed``); other unknown top-level members by their name.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cligate.protocols import ir
from cligate.protocols.thinking import parse_effort

# Gemini CLI's stand-in signature for calls it replays without one.
SENTINEL_SIGNATURE = "skip_thought_signature_validator"
# What encoders write for arguments that are not a JSON object (anthropic/encode_response.py).
RAW_ARGUMENTS_KEY = "_raw_arguments"

_KNOWN = frozenset(
    {
        "model",
        "contents",
        "systemInstruction",
        "tools",
        "toolConfig",
        "generationConfig",
    }
)
# Members of a part that qualify its data instead of being data.
_PART_MODIFIERS = frozenset(
    {
        "thought",
        "thoughtSignature",
        "videoMetadata",
        "mediaResolution",
        "partMetadata",
        "audioTranscription",
        "mediaProcessing",
        "speechMetadata",
        "documentMetadata",
        "spreadsheetMetadata",
        "audioMetadata",
    }
)
_PART_DATA = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
)
_MODEL_PARTS = frozenset({"text", "functionCall", "executableCode", "codeExecutionResult"})
_GENERATION_USED = frozenset(
    {
        "temperature",
        "topP",
        "topK",
        "maxOutputTokens",
        "stopSequences",
        "candidateCount",
        "responseMimeType",
        "responseSchema",
        "responseJsonSchema",
        "thinkingConfig",
    }
)
_SCHEMA_TYPES = frozenset({"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"})
_INT_KEYWORDS = frozenset(
    {"maxItems", "minItems", "maxLength", "minLength", "maxProperties", "minProperties"}
)
# Files uploaded to the Gemini Files API: only Google (with the client's key) can read them.
_GOOGLE_FILES = re.compile(r"https?://generativelanguage\.googleapis\.com/")


def decode_request(body: Mapping[str, Any]) -> ir.Request:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("the request body is not a JSON object")
    fields = _camel(body, "request")
    extras: dict[str, Any] = {
        key: value for key, value in fields.items() if key not in _KNOWN and value is not None
    }
    system = _system(fields.get("systemInstruction"))
    messages = _contents(fields.get("contents"))
    tools, hosted = _tools(fields.get("tools"))
    if hosted:
        extras["hosted_tools"] = hosted
    generation = _object(fields.get("generationConfig"), "generationConfig")
    for key, value in generation.items():
        if key not in _GENERATION_USED and value is not None:
            extras[f"generationConfig.{key}"] = value
    candidates = _integer(generation, "candidateCount", "generationConfig", minimum=1)
    if candidates is not None and candidates > 1:
        extras["generationConfig.candidateCount"] = candidates
    return ir.Request(
        model=None,
        messages=messages,
        system=system,
        tools=tools,
        tool_choice=_tool_choice(fields.get("toolConfig"), extras),
        max_tokens=_integer(generation, "maxOutputTokens", "generationConfig", minimum=1),
        temperature=_number(generation, "temperature"),
        top_p=_number(generation, "topP"),
        top_k=_integer(generation, "topK", "generationConfig", minimum=0),
        stop=_stop(generation.get("stopSequences")),
        thinking=_thinking(generation.get("thinkingConfig"), extras),
        output_format=_output_format(generation, extras),
        extras=extras,
    )


# --- members -------------------------------------------------------------------------------


def _camel_name(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _camel(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The object's members by their camelCase names (protobuf JSON takes snake_case too)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise ir.DecodeError(f"{where}: member names must be strings")
        name = _camel_name(key) if "_" in key else key
        if name in out and key != name:
            raise ir.DecodeError(f"{where}: both {name!r} and {key!r} are set")
        out[name] = value
    return out


def _object(raw: object, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    return _camel(raw, where)


def _list(raw: object, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ir.DecodeError(f"{where}: must be a list")
    return raw


def _string(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ir.DecodeError(f"{where}.{key}: must be a string")
    return value


def _required(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = _string(raw, key, where)
    if not value:
        raise ir.DecodeError(f"{where}: '{key}' is missing")
    return value


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- system instruction and contents -------------------------------------------------------


def _system(raw: object) -> tuple[ir.Text, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):  # the SDKs accept a bare string; a hand-written body may too
        return (ir.Text(raw),) if raw else ()
    content = _object(raw, "systemInstruction")
    texts = []
    for index, part in enumerate(_list(content.get("parts"), "systemInstruction.parts")):
        where = f"systemInstruction.parts[{index}]"
        fields = _object(part, where)
        text = fields.get("text")
        if not isinstance(text, str) or set(fields) - _PART_MODIFIERS - {"text"}:
            raise ir.DecodeError(f"{where}: only text parts are allowed in systemInstruction")
        if text and not fields.get("thought"):
            texts.append(ir.Text(text))
    return tuple(texts)


@dataclass(slots=True)
class _Turn:
    """The calls of the latest model turn, by id, and which of them have been answered."""

    names: dict[str, str] = field(default_factory=dict)  # call id → name, in call order
    answered: set[str] = field(default_factory=set)

    def pair(self, call_id: str | None, name: str) -> str | None:
        if call_id is not None and call_id in self.names and call_id not in self.answered:
            self.answered.add(call_id)
            return call_id
        for known, called in self.names.items():
            if called == name and known not in self.answered:
                self.answered.add(known)
                return known
        return None


def _contents(raw: object) -> tuple[ir.Message, ...]:
    items = _list(raw, "contents")
    if not items:
        raise ir.DecodeError("contents: must be a non-empty list")
    messages = []
    turn = _Turn()
    for index, item in enumerate(items):
        where = f"contents[{index}]"
        content = _object(item, where)
        role = content.get("role")
        if role is None or role == "":
            role = "user"
        if role not in ("user", "model", "function"):
            raise ir.DecodeError(f"{where}.role: unknown role {role!r} (user or model)")
        parts = _list(content.get("parts"), f"{where}.parts")
        if role == "model":
            turn = _Turn()
            messages.append(ir.Message("assistant", _model_parts(parts, index, turn)))
        else:
            messages.append(ir.Message("user", _user_parts(parts, index, turn)))
    return tuple(messages)


def _part_kind(part: object, where: str) -> tuple[str, dict[str, Any]]:
    fields = _object(part, where)
    kinds = [key for key in _PART_DATA if fields.get(key) is not None]
    unknown = sorted(key for key in fields if key not in _PART_DATA and key not in _PART_MODIFIERS)
    if unknown:
        raise ir.DecodeError(f"{where}: parts of kind {', '.join(unknown)} cannot be translated")
    if not kinds and fields.get("thoughtSignature") is not None:
        return "", fields  # only a signature, as Gemini sometimes sends: nothing to read
    if len(kinds) != 1:
        what = "no data" if not kinds else "several kinds of data: " + ", ".join(kinds)
        raise ir.DecodeError(f"{where}: a part holds exactly one kind of data, this has {what}")
    return kinds[0], fields


def _signature(fields: Mapping[str, Any], where: str) -> str | None:
    signature = _string(fields, "thoughtSignature", where)
    return signature or None


def _model_parts(
    parts: list[Any], index: int, turn: _Turn
) -> tuple[ir.Text | ir.Thinking | ir.ToolCall, ...]:
    out: list[ir.Text | ir.Thinking | ir.ToolCall] = []
    calls = 0
    for number, part in enumerate(parts):
        where = f"contents[{index}].parts[{number}]"
        kind, fields = _part_kind(part, where)
        if not kind:
            continue
        if kind not in _MODEL_PARTS:
            raise ir.DecodeError(f"{where}: a model turn cannot hold {kind} parts")
        signature = _signature(fields, where)
        if kind == "functionCall":
            call = _function_call(fields["functionCall"], signature, f"{where}.functionCall")
            call_id = call.id or f"{call.name}_{index}_{calls}"
            calls += 1
            if call_id in turn.names:
                raise ir.DecodeError(f"{where}.functionCall: duplicate id {call_id!r} in one turn")
            turn.names[call_id] = call.name
            out.append(ir.ToolCall(call_id, call.name, call.arguments, signature=call.signature))
        elif kind == "text":
            text = _text(fields, where)
            if fields.get("thought") is True:
                if signature == SENTINEL_SIGNATURE:
                    signature = None
                out.append(ir.Thinking(text=text, signature=signature))
            else:
                out.append(ir.Text(text))
        else:
            out.append(ir.Text(_code_text(kind, fields[kind], where)))
    return tuple(out)


def _user_parts(
    parts: list[Any], index: int, turn: _Turn
) -> tuple[ir.Text | ir.Image | ir.Document | ir.ToolResult, ...]:
    out: list[ir.Text | ir.Image | ir.Document | ir.ToolResult] = []
    for number, part in enumerate(parts):
        where = f"contents[{index}].parts[{number}]"
        kind, fields = _part_kind(part, where)
        if not kind:
            continue
        value = fields[kind]
        if kind == "text":
            text = _text(fields, where)
            if fields.get("thought") is True:
                continue  # a client's own thoughts in a user turn: nothing a model reads
            out.append(ir.Text(text))
        elif kind == "inlineData":
            out.append(_inline(value, f"{where}.inlineData", allow_documents=True))
        elif kind == "fileData":
            out.append(_file(value, f"{where}.fileData"))
        elif kind == "functionResponse":
            where = f"{where}.functionResponse"
            result, documents = _function_response(value, where, index, number, turn)
            out.append(result)
            out.extend(documents)
        elif kind == "functionCall":
            raise ir.DecodeError(f"{where}: a functionCall belongs in a model turn")
        else:
            out.append(ir.Text(_code_text(kind, value, where)))
    return tuple(out)


def _text(fields: Mapping[str, Any], where: str) -> str:
    text = fields["text"]
    if not isinstance(text, str):
        raise ir.DecodeError(f"{where}.text: must be a string")
    thought = fields.get("thought")
    if thought is not None and not isinstance(thought, bool):
        raise ir.DecodeError(f"{where}.thought: must be true or false")
    return text


def _code_text(kind: str, raw: object, where: str) -> str:
    fields = _object(raw, f"{where}.{kind}")
    if kind == "executableCode":
        code = _string(fields, "code", f"{where}.{kind}") or ""
        language = (_string(fields, "language", f"{where}.{kind}") or "").lower()
        language = "" if language == "language_unspecified" else language
        return f"[code run by the code execution tool]\n```{language}\n{code}\n```"
    output = _string(fields, "output", f"{where}.{kind}") or ""
    outcome = _string(fields, "outcome", f"{where}.{kind}") or "OUTCOME_UNSPECIFIED"
    return f"[code execution result: {outcome}]\n{output}"


# --- tool calls and results ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Call:
    id: str | None
    name: str
    arguments: str
    signature: str | None


def _function_call(raw: object, signature: str | None, where: str) -> _Call:
    fields = _object(raw, where)
    name = _required(fields, "name", where)
    call_id = _string(fields, "id", where) or None
    args = fields.get("args")
    if args is None:
        arguments = "{}"
    elif not isinstance(args, Mapping):
        raise ir.DecodeError(f"{where}.args: must be an object")
    elif set(args) == {RAW_ARGUMENTS_KEY} and isinstance(args[RAW_ARGUMENTS_KEY], str):
        arguments = args[RAW_ARGUMENTS_KEY]  # what the model wrote, not an object
    else:
        arguments = _compact(args)
    return _Call(call_id, name, arguments, signature)


def _function_response(
    raw: object, where: str, index: int, number: int, turn: _Turn
) -> tuple[ir.ToolResult, list[ir.Document]]:
    """The result, and the documents of its ``parts``, which a tool result cannot hold."""
    fields = _object(raw, where)
    name = _required(fields, "name", where)
    given = _string(fields, "id", where) or None
    call_id = turn.pair(given, name) or given or f"{name}_{index}_{number}"
    response = fields.get("response")
    if response is None:
        response = {}
    if not isinstance(response, Mapping):
        raise ir.DecodeError(f"{where}.response: must be an object")
    keys = set(response)
    content: list[ir.Text | ir.Image] = []
    media = [
        _response_part(part, f"{where}.parts[{position}]")
        for position, part in enumerate(_list(fields.get("parts"), f"{where}.parts"))
    ]
    documents = [item for item in media if isinstance(item, ir.Document)]
    if not keys and documents:
        # Gemini CLI sends {} when the tool's whole output is the media.
        content.append(ir.Text("(the tool returned a document; it follows the tool result)"))
        is_error = False
    elif keys == {"output"}:
        content.append(ir.Text(_as_text(response["output"])))
        is_error = False
    elif keys == {"error"}:
        content.append(ir.Text(_as_text(response["error"])))
        is_error = True
    else:
        content.append(ir.Text(_compact(response)))
        is_error = "error" in keys and "output" not in keys
    content.extend(item for item in media if isinstance(item, ir.Image))
    return ir.ToolResult(call_id, tuple(content), is_error=is_error), documents


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else _compact(value)


def _response_part(raw: object, where: str) -> ir.Image | ir.Document:
    fields = _object(raw, where)
    if fields.get("inlineData") is not None:
        return _inline(fields["inlineData"], f"{where}.inlineData", allow_documents=True)
    if fields.get("fileData") is not None:
        return _file(fields["fileData"], f"{where}.fileData")
    raise ir.DecodeError(f"{where}: only media are allowed in a function response's parts")


# --- media ---------------------------------------------------------------------------------


def _media_type(fields: Mapping[str, Any], where: str) -> str:
    media_type = (_string(fields, "mimeType", where) or "").lower()
    return "image/jpeg" if media_type == "image/jpg" else media_type


def _inline(raw: object, where: str, allow_documents: bool) -> ir.Image | ir.Document:
    fields = _object(raw, where)
    media_type = _media_type(fields, where)
    data = _string(fields, "data", where)
    if not media_type:
        raise ir.DecodeError(f"{where}: 'mimeType' is missing")
    if not data:
        raise ir.DecodeError(f"{where}: 'data' is missing")
    if media_type.startswith("image/"):
        return ir.Image(media_type=media_type, data=data)
    title = _string(fields, "displayName", where) or None
    if allow_documents and media_type == "application/pdf":
        return ir.Document(media_type=media_type, data=data, title=title)
    if allow_documents and media_type.startswith("text/"):
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ir.DecodeError(f"{where}.data: not base64 UTF-8 text") from None
        return ir.Document(media_type="text/plain", text=text, title=title)
    raise ir.DecodeError(f"{where}: media of type {media_type!r} cannot be translated")


def _file(raw: object, where: str) -> ir.Image | ir.Document:
    fields = _object(raw, where)
    uri = _required(fields, "fileUri", where)
    if not uri.startswith(("http://", "https://")) or _GOOGLE_FILES.match(uri):
        raise ir.DecodeError(
            f"{where}.fileUri: {uri!r} is a file held by Google, which another provider "
            "cannot fetch; send it as inlineData"
        )
    media_type = _media_type(fields, where)
    if not media_type:
        path = uri.split("?", 1)[0].lower()
        media_type = "application/pdf" if path.endswith(".pdf") else "image/*"
    title = _string(fields, "displayName", where) or None
    if media_type == "application/pdf":
        return ir.Document(url=uri, title=title)
    if media_type.startswith("image/"):
        return ir.Image(url=uri)
    raise ir.DecodeError(f"{where}: files of type {media_type!r} cannot be translated")


# --- tools ---------------------------------------------------------------------------------


def _tools(raw: object) -> tuple[tuple[ir.ToolDef, ...], list[dict[str, str]]]:
    tools: list[ir.ToolDef] = []
    hosted: list[dict[str, str]] = []
    for index, tool in enumerate(_list(raw, "tools")):
        where = f"tools[{index}]"
        fields = _object(tool, where)
        for key, value in fields.items():
            if value is None:
                continue
            if key != "functionDeclarations":
                hosted.append({"type": key})
                continue
            for number, declaration in enumerate(_list(value, f"{where}.{key}")):
                tools.append(_declaration(declaration, f"{where}.{key}[{number}]"))
    return tuple(tools), hosted


def _declaration(raw: object, where: str) -> ir.ToolDef:
    fields = _object(raw, where)
    name = _required(fields, "name", where)
    description = _string(fields, "description", where) or ""
    schema = fields.get("parameters")
    json_schema = fields.get("parametersJsonSchema")
    if schema is not None and json_schema is not None:
        raise ir.DecodeError(f"{where}: set 'parameters' or 'parametersJsonSchema', not both")
    if schema is not None:
        parameters = _schema(schema, f"{where}.parameters", openapi=True)
    elif json_schema is not None:
        parameters = _schema(json_schema, f"{where}.parametersJsonSchema", openapi=False)
    else:
        parameters = {}
    return ir.ToolDef(name, description, parameters)


def _schema(raw: object, where: str, openapi: bool) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    return _json_schema(raw, openapi)


_SUBSCHEMA_MAPS = ("properties", "$defs", "defs", "definitions", "patternProperties")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains")


def _json_schema(raw: Mapping[str, Any], openapi: bool) -> dict[str, Any]:
    """A JSON schema from Gemini's schema (``openapi``: its OpenAPI subset, else a JSON schema
    that may use Gemini's upper-case type names)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if openapi:
            key = _camel_name(key) if "_" in key else key
            if key in ("propertyOrdering", "example"):
                continue
            if key == "nullable":
                continue  # below, with the type
            if key == "defs":
                key = "$defs"
            if key == "ref":
                key = "$ref"
            if key in _INT_KEYWORDS and isinstance(value, str) and value.isdigit():
                value = int(value)
        if key == "type":
            value = _type_name(value)
        elif key in _SUBSCHEMA_MAPS and isinstance(value, Mapping):
            value = {name: _sub(sub, openapi) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS or key == "items":
            value = [_sub(s, openapi) for s in value] if isinstance(value, list) else value
        if key in _SUBSCHEMAS:
            value = _sub(value, openapi)
        out[key] = value
    if openapi and raw.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


def _sub(value: object, openapi: bool) -> object:
    return _json_schema(value, openapi) if isinstance(value, Mapping) else value


def _type_name(value: object) -> object:
    if isinstance(value, str) and value in _SCHEMA_TYPES:
        return value.lower()
    if isinstance(value, list):
        return [v.lower() if isinstance(v, str) and v in _SCHEMA_TYPES else v for v in value]
    return value


def _tool_choice(raw: object, extras: dict[str, Any]) -> ir.ToolChoice | None:
    config = _object(raw, "toolConfig")
    for key, value in config.items():
        if key != "functionCallingConfig" and value is not None:
            extras[f"toolConfig.{key}"] = value
    calling = _object(config.get("functionCallingConfig"), "toolConfig.functionCallingConfig")
    where = "toolConfig.functionCallingConfig"
    for key, value in calling.items():
        if key not in ("mode", "allowedFunctionNames") and value is not None:
            extras[f"{where}.{key}"] = value
    mode = _string(calling, "mode", where)
    mode = mode.upper() if mode is not None else None
    names = _list(calling.get("allowedFunctionNames"), f"{where}.allowedFunctionNames")
    if not all(isinstance(name, str) and name for name in names):
        raise ir.DecodeError(f"{where}.allowedFunctionNames: must be a list of names")
    if mode is None or mode == "MODE_UNSPECIFIED":
        if names:
            extras[f"{where}.allowedFunctionNames"] = names
        return None
    if mode == "ANY" and len(names) == 1:
        return ir.ToolChoice(ir.ToolChoiceMode.TOOL, names[0])
    modes = {
        "AUTO": ir.ToolChoiceMode.AUTO,
        "VALIDATED": ir.ToolChoiceMode.AUTO,
        "ANY": ir.ToolChoiceMode.ANY,
        "NONE": ir.ToolChoiceMode.NONE,
    }
    if mode not in modes:
        raise ir.DecodeError(f"{where}.mode: unknown value {mode!r}")
    if names:
        extras[f"{where}.allowedFunctionNames"] = names
    return ir.ToolChoice(modes[mode])


# --- generation options --------------------------------------------------------------------


def _number(config: Mapping[str, Any], key: str) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ir.DecodeError(f"generationConfig.{key}: must be a number")
    return float(value)


def _integer(config: Mapping[str, Any], key: str, where: str, minimum: int) -> int | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the SDKs type some counts as floats
    if isinstance(value, bool) or not isinstance(value, int):
        raise ir.DecodeError(f"{where}.{key}: must be an integer")
    if value < minimum:
        raise ir.DecodeError(f"{where}.{key}: must be at least {minimum}")
    return value


def _stop(raw: object) -> tuple[str, ...]:
    stops = _list(raw, "generationConfig.stopSequences")
    if not all(isinstance(stop, str) for stop in stops):
        raise ir.DecodeError("generationConfig.stopSequences: must be a list of strings")
    return tuple(stop for stop in stops if stop)


def _thinking(raw: object, extras: dict[str, Any]) -> ir.ThinkingConfig | None:
    where = "generationConfig.thinkingConfig"
    config = _object(raw, where)
    for key, value in config.items():
        if key not in ("thinkingBudget", "thinkingLevel", "includeThoughts") and value is not None:
            extras[f"{where}.{key}"] = value
    include = config.get("includeThoughts")
    if include is not None and not isinstance(include, bool):
        raise ir.DecodeError(f"{where}.includeThoughts: must be true or false")
    if include is False:
        extras[f"{where}.includeThoughts"] = False
    budget = config.get("thinkingBudget")
    level = config.get("thinkingLevel")
    if level == "THINKING_LEVEL_UNSPECIFIED":
        level = None
    if budget is not None and level is not None:
        raise ir.DecodeError(f"{where}: set 'thinkingBudget' or 'thinkingLevel', not both")
    if budget is not None:
        if isinstance(budget, float) and budget.is_integer():
            budget = int(budget)
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < -1:
            raise ir.DecodeError(f"{where}.thinkingBudget: must be -1, 0 or a token count")
        if budget == 0:
            return ir.ThinkingConfig(enabled=False)
        if budget == -1:
            return ir.ThinkingConfig(enabled=True, adaptive=True)
        return ir.ThinkingConfig(enabled=True, budget_tokens=budget)
    if level is not None:
        effort = parse_effort(level)
        if effort is None:
            raise ir.DecodeError(f"{where}.thinkingLevel: unknown value {level!r}")
        return ir.ThinkingConfig(enabled=effort is not ir.Effort.MINIMAL, effort=effort)
    return None


def _output_format(config: Mapping[str, Any], extras: dict[str, Any]) -> ir.OutputFormat | None:
    where = "generationConfig"
    media_type = _string(config, "responseMimeType", where)
    schema = config.get("responseSchema")
    json_schema = config.get("responseJsonSchema")
    if schema is not None and json_schema is not None:
        raise ir.DecodeError(f"{where}: set 'responseSchema' or 'responseJsonSchema', not both")
    if media_type is None or media_type == "text/plain":
        # A schema without the JSON media type is refused by Gemini: nothing to honour.
        for key in ("responseSchema", "responseJsonSchema"):
            if config.get(key) is not None:
                extras[f"{where}.{key}"] = config[key]
        return None
    if media_type != "application/json":
        extras[f"{where}.responseMimeType"] = media_type
        for key in ("responseSchema", "responseJsonSchema"):
            if config.get(key) is not None:
                extras[f"{where}.{key}"] = config[key]
        return None
    if schema is not None:
        return ir.OutputFormat(_schema(schema, f"{where}.responseSchema", openapi=True))
    if json_schema is not None:
        if json_schema is True or json_schema == {}:
            return ir.OutputFormat(schema=None)  # any JSON
        return ir.OutputFormat(_schema(json_schema, f"{where}.responseJsonSchema", openapi=False))
    return ir.OutputFormat(schema=None)
