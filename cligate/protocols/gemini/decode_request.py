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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cligate.protocols import ir
from cligate.protocols.gemini.decode_options import (
    integer_option,
    number_option,
    output_format_of,
    stop_sequences_of,
    thinking_of,
    tool_choice_of,
    tools_of,
)
from cligate.protocols.gemini.members import (
    camel_members,
    compact_json,
    member_list,
    member_object,
    member_required,
    member_string,
)

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
# Files uploaded to the Gemini Files API: only Google (with the client's key) can read them.
_GOOGLE_FILES = re.compile(r"https?://generativelanguage\.googleapis\.com/")


def decode_request(body: Mapping[str, Any]) -> ir.Request:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("the request body is not a JSON object")
    fields = camel_members(body, "request")
    extras: dict[str, Any] = {
        key: value for key, value in fields.items() if key not in _KNOWN and value is not None
    }
    system = _system(fields.get("systemInstruction"))
    messages = _contents(fields.get("contents"))
    tools, hosted = tools_of(fields.get("tools"))
    if hosted:
        extras["hosted_tools"] = hosted
    generation = member_object(fields.get("generationConfig"), "generationConfig")
    for key, value in generation.items():
        if key not in _GENERATION_USED and value is not None:
            extras[f"generationConfig.{key}"] = value
    candidates = integer_option(generation, "candidateCount", "generationConfig", minimum=1)
    if candidates is not None and candidates > 1:
        extras["generationConfig.candidateCount"] = candidates
    return ir.Request(
        model=None,
        messages=messages,
        system=system,
        tools=tools,
        tool_choice=tool_choice_of(fields.get("toolConfig"), extras),
        max_tokens=integer_option(generation, "maxOutputTokens", "generationConfig", minimum=1),
        temperature=number_option(generation, "temperature"),
        top_p=number_option(generation, "topP"),
        top_k=integer_option(generation, "topK", "generationConfig", minimum=0),
        stop=stop_sequences_of(generation.get("stopSequences")),
        thinking=thinking_of(generation.get("thinkingConfig"), extras),
        output_format=output_format_of(generation, extras),
        extras=extras,
    )


# --- system instruction and contents -------------------------------------------------------


def _system(raw: object) -> tuple[ir.Text, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):  # the SDKs accept a bare string; a hand-written body may too
        return (ir.Text(raw),) if raw else ()
    content = member_object(raw, "systemInstruction")
    texts = []
    for index, part in enumerate(member_list(content.get("parts"), "systemInstruction.parts")):
        where = f"systemInstruction.parts[{index}]"
        fields = member_object(part, where)
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
    items = member_list(raw, "contents")
    if not items:
        raise ir.DecodeError("contents: must be a non-empty list")
    messages = []
    turn = _Turn()
    for index, item in enumerate(items):
        where = f"contents[{index}]"
        content = member_object(item, where)
        role = content.get("role")
        if role is None or role == "":
            role = "user"
        if role not in ("user", "model", "function"):
            raise ir.DecodeError(f"{where}.role: unknown role {role!r} (user or model)")
        parts = member_list(content.get("parts"), f"{where}.parts")
        if role == "model":
            turn = _Turn()
            messages.append(ir.Message("assistant", _model_parts(parts, index, turn)))
        else:
            messages.append(ir.Message("user", _user_parts(parts, index, turn)))
    return tuple(messages)


def _part_kind(part: object, where: str) -> tuple[str, dict[str, Any]]:
    fields = member_object(part, where)
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
    signature = member_string(fields, "thoughtSignature", where)
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
    fields = member_object(raw, f"{where}.{kind}")
    if kind == "executableCode":
        code = member_string(fields, "code", f"{where}.{kind}") or ""
        language = (member_string(fields, "language", f"{where}.{kind}") or "").lower()
        language = "" if language == "language_unspecified" else language
        return f"[code run by the code execution tool]\n```{language}\n{code}\n```"
    output = member_string(fields, "output", f"{where}.{kind}") or ""
    outcome = member_string(fields, "outcome", f"{where}.{kind}") or "OUTCOME_UNSPECIFIED"
    return f"[code execution result: {outcome}]\n{output}"


# --- tool calls and results ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Call:
    id: str | None
    name: str
    arguments: str
    signature: str | None


def _function_call(raw: object, signature: str | None, where: str) -> _Call:
    fields = member_object(raw, where)
    name = member_required(fields, "name", where)
    call_id = member_string(fields, "id", where) or None
    args = fields.get("args")
    if args is None:
        arguments = "{}"
    elif not isinstance(args, Mapping):
        raise ir.DecodeError(f"{where}.args: must be an object")
    elif set(args) == {RAW_ARGUMENTS_KEY} and isinstance(args[RAW_ARGUMENTS_KEY], str):
        arguments = args[RAW_ARGUMENTS_KEY]  # what the model wrote, not an object
    else:
        arguments = compact_json(args)
    return _Call(call_id, name, arguments, signature)


def _function_response(
    raw: object, where: str, index: int, number: int, turn: _Turn
) -> tuple[ir.ToolResult, list[ir.Document]]:
    """The result, and the documents of its ``parts``, which a tool result cannot hold."""
    fields = member_object(raw, where)
    name = member_required(fields, "name", where)
    given = member_string(fields, "id", where) or None
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
        for position, part in enumerate(member_list(fields.get("parts"), f"{where}.parts"))
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
        content.append(ir.Text(compact_json(response)))
        is_error = "error" in keys and "output" not in keys
    content.extend(item for item in media if isinstance(item, ir.Image))
    return ir.ToolResult(call_id, tuple(content), is_error=is_error), documents


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else compact_json(value)


def _response_part(raw: object, where: str) -> ir.Image | ir.Document:
    fields = member_object(raw, where)
    if fields.get("inlineData") is not None:
        return _inline(fields["inlineData"], f"{where}.inlineData", allow_documents=True)
    if fields.get("fileData") is not None:
        return _file(fields["fileData"], f"{where}.fileData")
    raise ir.DecodeError(f"{where}: only media are allowed in a function response's parts")


# --- media ---------------------------------------------------------------------------------


def _media_type(fields: Mapping[str, Any], where: str) -> str:
    media_type = (member_string(fields, "mimeType", where) or "").lower()
    return "image/jpeg" if media_type == "image/jpg" else media_type


def _inline(raw: object, where: str, allow_documents: bool) -> ir.Image | ir.Document:
    fields = member_object(raw, where)
    media_type = _media_type(fields, where)
    data = member_string(fields, "data", where)
    if not media_type:
        raise ir.DecodeError(f"{where}: 'mimeType' is missing")
    if not data:
        raise ir.DecodeError(f"{where}: 'data' is missing")
    if media_type.startswith("image/"):
        return ir.Image(media_type=media_type, data=data)
    title = member_string(fields, "displayName", where) or None
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
    fields = member_object(raw, where)
    uri = member_required(fields, "fileUri", where)
    if not uri.startswith(("http://", "https://")) or _GOOGLE_FILES.match(uri):
        raise ir.DecodeError(
            f"{where}.fileUri: {uri!r} is a file held by Google, which another provider "
            "cannot fetch; send it as inlineData"
        )
    media_type = _media_type(fields, where)
    if not media_type:
        path = uri.split("?", 1)[0].lower()
        media_type = "application/pdf" if path.endswith(".pdf") else "image/*"
    title = member_string(fields, "displayName", where) or None
    if media_type == "application/pdf":
        return ir.Document(url=uri, title=title)
    if media_type.startswith("image/"):
        return ir.Image(url=uri)
    raise ir.DecodeError(f"{where}: files of type {media_type!r} cannot be translated")
