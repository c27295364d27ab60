import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cligate.protocols.json_members import locate_members, parse_json_object

# orjson reads integers only within 64 bits (it turns -2**63-1 into a float). That is fine for
# cligate, which reads parsed values only to route and forwards the body's bytes untouched, but
# the agreement property is stated for the values orjson promises to keep exact.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def test_model_is_replaced_and_every_other_byte_kept() -> None:
    body = b'{ "model" : "claude-x",\n  "messages": [{"role":"user","content":"caf\\u00e9 \xe2\x98\x83"}],"stream":true}'
    parsed = parse_json_object(body)
    assert parsed.value["model"] == "claude-x"
    rewritten = parsed.with_member("model", "qwen-plus")
    assert rewritten == body.replace(b'"claude-x"', b'"qwen-plus"')


def test_nested_model_keys_are_not_touched() -> None:
    body = b'{"metadata":{"model":"inner"},"model":"outer"}'
    rewritten = parse_json_object(body).with_member("model", "new")
    assert rewritten == b'{"metadata":{"model":"inner"},"model":"new"}'


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a JSON object"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"model": }', "expected a value"),
        (b'{"model": "x",}', "expected a member name"),
        (b'{"model": "x"} trailing', "extra data"),
        (b'{"model" "x"}', "expected ':'"),
        (b'{"a": 1', "expected ',' or '}'"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_malformed_bodies_are_rejected_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        locate_members(body)
    with pytest.raises(ValueError, match=r"."):  # the fast parser refuses them too
        parse_json_object(body)


def test_integers_beyond_64_bits_are_still_json() -> None:
    assert parse_json_object(b'{"n": 123456789012345678901234567890}').value["n"] > 2**64


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=6), st.sampled_from([None, 2]))
def test_agrees_with_json_loads(document: dict[str, object], indent: int | None) -> None:
    body = json.dumps(document, indent=indent, ensure_ascii=False).encode()
    assert parse_json_object(body).value == json.loads(body)
    parsed = locate_members(body)
    assert parsed.value == json.loads(body)
    for key in document:
        start, end = parsed.spans[key]
        assert json.loads(parsed.text[start:end]) == document[key]


@given(st.dictionaries(st.text(), JSON_VALUES, min_size=1, max_size=6), st.text())
def test_replacing_a_member_changes_only_that_member(document: dict[str, object], new: str) -> None:
    key = next(iter(document))
    body = json.dumps(document).encode()
    replaced = json.loads(parse_json_object(body).with_member(key, new))
    assert replaced == json.loads(locate_members(body).with_member(key, new))
    assert replaced == {**document, key: new}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"stream": true}', b'{"model":"m","stream": true}'),
        (b" { } ", b' {"model":"m" } '),
    ],
)
def test_a_missing_member_is_added_first(body: bytes, expected: bytes) -> None:
    assert parse_json_object(body).with_member("model", "m") == expected
