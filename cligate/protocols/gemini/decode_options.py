"""A Gemini request's tools, tool config and generation options in the neutral form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir
from cligate.protocols.gemini.client_schema import json_schema_of
from cligate.protocols.gemini.members import (
    member_list,
    member_object,
    member_required,
    member_string,
)
from cligate.protocols.thinking import parse_effort

# --- tools ---------------------------------------------------------------------------------


def tools_of(raw: object) -> tuple[tuple[ir.ToolDef, ...], list[dict[str, str]]]:
    tools: list[ir.ToolDef] = []
    hosted: list[dict[str, str]] = []
    for index, tool in enumerate(member_list(raw, "tools")):
        where = f"tools[{index}]"
        fields = member_object(tool, where)
        for key, value in fields.items():
            if value is None:
                continue
            if key != "functionDeclarations":
                hosted.append({"type": key})
                continue
            for number, declaration in enumerate(member_list(value, f"{where}.{key}")):
                tools.append(_declaration(declaration, f"{where}.{key}[{number}]"))
    return tuple(tools), hosted


def _declaration(raw: object, where: str) -> ir.ToolDef:
    fields = member_object(raw, where)
    name = member_required(fields, "name", where)
    description = member_string(fields, "description", where) or ""
    schema = fields.get("parameters")
    json_schema = fields.get("parametersJsonSchema")
    if schema is not None and json_schema is not None:
        raise ir.DecodeError(f"{where}: set 'parameters' or 'parametersJsonSchema', not both")
    if schema is not None:
        parameters = json_schema_of(schema, f"{where}.parameters", openapi=True)
    elif json_schema is not None:
        parameters = json_schema_of(json_schema, f"{where}.parametersJsonSchema", openapi=False)
    else:
        parameters = {}
    return ir.ToolDef(name, description, parameters)


def tool_choice_of(raw: object, extras: dict[str, Any]) -> ir.ToolChoice | None:
    config = member_object(raw, "toolConfig")
    for key, value in config.items():
        if key != "functionCallingConfig" and value is not None:
            extras[f"toolConfig.{key}"] = value
    calling = member_object(config.get("functionCallingConfig"), "toolConfig.functionCallingConfig")
    where = "toolConfig.functionCallingConfig"
    for key, value in calling.items():
        if key not in ("mode", "allowedFunctionNames") and value is not None:
            extras[f"{where}.{key}"] = value
    mode = member_string(calling, "mode", where)
    mode = mode.upper() if mode is not None else None
    names = member_list(calling.get("allowedFunctionNames"), f"{where}.allowedFunctionNames")
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


def number_option(config: Mapping[str, Any], key: str) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ir.DecodeError(f"generationConfig.{key}: must be a number")
    return float(value)


def integer_option(config: Mapping[str, Any], key: str, where: str, minimum: int) -> int | None:
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


def stop_sequences_of(raw: object) -> tuple[str, ...]:
    stops = member_list(raw, "generationConfig.stopSequences")
    if not all(isinstance(stop, str) for stop in stops):
        raise ir.DecodeError("generationConfig.stopSequences: must be a list of strings")
    return tuple(stop for stop in stops if stop)


def thinking_of(raw: object, extras: dict[str, Any]) -> ir.ThinkingConfig | None:
    where = "generationConfig.thinkingConfig"
    config = member_object(raw, where)
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


def output_format_of(config: Mapping[str, Any], extras: dict[str, Any]) -> ir.OutputFormat | None:
    where = "generationConfig"
    media_type = member_string(config, "responseMimeType", where)
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
        return ir.OutputFormat(json_schema_of(schema, f"{where}.responseSchema", openapi=True))
    if json_schema is not None:
        if json_schema is True or json_schema == {}:
            return ir.OutputFormat(schema=None)  # any JSON
        return ir.OutputFormat(
            json_schema_of(json_schema, f"{where}.responseJsonSchema", openapi=False)
        )
    return ir.OutputFormat(schema=None)
