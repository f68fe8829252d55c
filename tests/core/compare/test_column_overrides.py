"""Per-column settings over the shared ones: parsing, errors that say where, and their effect."""

from __future__ import annotations

import pytest

from console.core.compare.columns import (
    ColumnParams, ColumnSpec, ColumnSpecError, CompareParams, apply_overrides, parse_column_overrides,
)


def test_overrides_parse_and_apply_to_their_columns_only() -> None:
    overrides = parse_column_overrides("a: temperature=0.2, max_tokens=64; b: json=on, system=be brief")
    assert overrides == {
        "a": ColumnParams(temperature=0.2, max_tokens=64),
        "b": ColumnParams(json_mode=True, system="be brief"),
    }
    specs = apply_overrides([ColumnSpec("a", alias="a"), ColumnSpec("b", alias="b"), ColumnSpec("c", alias="c")], overrides)
    shared = CompareParams(prompt="p", system=None, temperature=0.9, max_tokens=256, json_mode=False)
    assert shared.for_column(specs[0]) == (None, 0.2, 64, False)
    assert shared.for_column(specs[1]) == ("be brief", 0.9, 256, True)
    assert shared.for_column(specs[2]) == (None, 0.9, 256, False)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a temperature=1", "expected LABEL:"),
        ("a: heat=1", "expected one of temperature"),
        ("a: max_tokens=-3", "max_tokens='-3' in 'a' is not a valid value"),
        ("a: json=maybe", "json='maybe'"),
    ],
)
def test_bad_overrides_say_what_and_where(text: str, said: str) -> None:
    with pytest.raises(ColumnSpecError, match=said.replace("(", r"\(").replace("[", r"\[")):
        parse_column_overrides(text)


def test_an_override_for_a_missing_column_is_an_error() -> None:
    with pytest.raises(ColumnSpecError, match="name no column: zz"):
        apply_overrides([ColumnSpec("a", alias="a")], parse_column_overrides("zz: temperature=1"))
