"""Freeform tools as functions: the schema carries the grammar, the text goes in and out."""

from __future__ import annotations

import json

from cligate.protocols import ir
from cligate.protocols.custom_tools import function_schema, unwrap_input, wrap_input

GRAMMAR = {"type": "grammar", "syntax": "lark", "definition": 'start: "*** Begin Patch"'}


def test_the_schema_is_one_string_whose_description_holds_the_grammar() -> None:
    schema = function_schema(ir.ToolDef("apply_patch", kind="custom", format=GRAMMAR))
    assert schema["required"] == ["input"] and schema["properties"]["input"]["type"] == "string"
    assert 'start: "*** Begin Patch"' in schema["properties"]["input"]["description"]
    assert "lark" in schema["properties"]["input"]["description"]
    plain = function_schema(ir.ToolDef("note", kind="custom"))
    assert "plain text" in plain["properties"]["input"]["description"]


def test_text_round_trips_through_function_arguments() -> None:
    patch = '*** Begin Patch\n*** Add File: a.txt\n+é "quoted"\n*** End Patch\n'
    arguments = wrap_input(patch)
    assert json.loads(arguments) == {"input": patch}
    assert unwrap_input(arguments) == patch


def test_a_model_that_ignores_the_wrapper_keeps_its_answer() -> None:
    assert unwrap_input("*** Begin Patch") == "*** Begin Patch"
    assert unwrap_input('{"patch": "x"}') == '{"patch": "x"}'
