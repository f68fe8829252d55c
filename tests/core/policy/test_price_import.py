"""``routedesk prices import`` on a trimmed copy of LiteLLM's price file, and as_of/source on every price."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from console.cli.main import run
from console.core.policy.price_history import read_changes
from console.core.policy.price_import import PriceImportError, plan_import, read_litellm
from console.core.policy.prices import bundled_price_table, parse_price_table, resources_dir, user_price_table
from console.core.policy.schema import Prices

SAMPLE = Path(__file__).parent / "data" / "litellm_prices_trimmed.json"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("ROUTEDESK_HOME", str(folder))
    return folder


def test_every_shipped_price_says_when_and_where_it_was_read() -> None:
    table = bundled_price_table()
    assert table.entries and not table.diagnostics
    assert set(table.provenance) == set(table.entries)
    for model_id, origin in table.provenance.items():
        assert origin.as_of and datetime.date.fromisoformat(origin.as_of), model_id
        assert origin.source and origin.source.startswith("https://"), model_id


def test_a_bad_as_of_is_a_warning_on_that_entry_only() -> None:
    table = parse_price_table("models:\n  a: {input: 1, output: 2, as_of: soon, source: x}\n"
                              "  b: {input: 1, output: 2, as_of: 2026-01-02, source: litellm}\n", "p.yaml")
    assert list(table.entries) == ["b"] and table.provenance["b"].as_of == "2026-01-02"
    assert "as_of must be a date" in table.diagnostics[0].message and table.diagnostics[0].line == 2


def test_the_file_is_read_per_million_and_malformed_entries_are_named() -> None:
    parsed = read_litellm(SAMPLE.read_text(), "sample.json")
    assert "sample_spec" not in parsed.entries and "text-embedding-3-small" not in parsed.entries
    assert parsed.entries["deepseek/deepseek-chat"].prices == Prices(input=0.28, output=0.42, cached_input=0.028)
    assert parsed.entries["gpt-5.1"].context_window == 272000
    skipped = "\n".join(parsed.skipped)
    for model in ("gpt-4.1-mini", "o4-mini", "grok-3-mini", "mistral/mistral-small-latest"):
        assert model in skipped
    assert "input_cost_per_token must be a non-negative number" in skipped and "no input_cost_per_token" in skipped


@pytest.mark.parametrize("text, why", [
    ("{not json", "not JSON (line 1"),
    ("[1, 2]", "expected an object of models"),
    ('{"x": {"mode": "chat", "input_cost_per_token": "free"}}', "no model in it has input_cost_per_token"),
])
def test_a_file_that_is_not_a_price_file_is_refused(text: str, why: str) -> None:
    with pytest.raises(PriceImportError, match=re.escape(why)):
        read_litellm(text, "f.json")


def test_only_changed_prices_are_planned_and_new_models_only_when_asked(home: Path) -> None:
    parsed = read_litellm(SAMPLE.read_text(), "sample.json")
    changed = {c.model_id: c for c in plan_import(parsed)}
    assert set(changed) == {"deepseek-chat", "gemini-2.5-pro"}  # gpt-4o and claude-haiku-4-5 are unchanged
    assert changed["deepseek-chat"].old == bundled_price_table().entries["deepseek-chat"]
    assert "gpt-5.1" in {c.model_id for c in plan_import(parsed, add_new=True)}


def test_import_writes_the_users_catalogue_never_the_shipped_one(home: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    shipped = Path(str(resources_dir().joinpath("prices.yaml")))
    before = shipped.read_bytes()
    (home / "prices.yaml").write_text("# my corrections\nversion: 1\nmodels:\n  in-house: {input: 9, output: 9}\n")
    assert run(["prices", "import", str(SAMPLE), "--add-new"]) == 0
    out, err = capsys.readouterr()
    assert "deepseek-chat: in $0.27 out $1.1 cached $0.07 per M -> in $0.28 out $0.42 cached $0.028 per M" in out
    assert "gpt-5.1: (new) -> in $1.25 out $10" in out and "skipped o4-mini" in err
    assert shipped.read_bytes() == before
    text = (home / "prices.yaml").read_text()
    assert text.startswith("# my corrections") and "in-house" in text
    table = user_price_table(home / "prices.yaml")
    assert not table.diagnostics
    assert table.entries["deepseek-chat"] == Prices(input=0.28, output=0.42, cached_input=0.028)
    assert table.provenance["deepseek-chat"].source == "litellm"
    assert table.provenance["deepseek-chat"].as_of == datetime.date.today().isoformat()
    assert table.facts["gpt-5.1"].context_window == 272000
    history = read_changes(home)
    assert {c.model_id for c in history} == {"deepseek-chat", "gemini-2.5-pro", "gpt-5.1"}
    assert next(c for c in history if c.model_id == "deepseek-chat").old == Prices(input=0.27, output=1.1,
                                                                                   cached_input=0.07)
    # a second import of the same file changes nothing more
    assert run(["prices", "import", str(SAMPLE)]) == 0
    assert "no price changed" in capsys.readouterr().out


def test_a_refused_file_leaves_the_catalogue_alone(home: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (home / "prices.yaml").write_text("models:\n  x: {input: 1, output: 1}\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"gpt-4o": ')
    assert run(["prices", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json: not JSON" in err and "Traceback" not in err
    assert (home / "prices.yaml").read_text() == "models:\n  x: {input: 1, output: 1}\n"
    assert run(["prices", "import", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_dry_run_writes_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["prices", "import", str(SAMPLE), "--dry-run"]) == 0
    assert "nothing written" in capsys.readouterr().out
    assert not (home / "prices.yaml").exists() and read_changes(home) == []


def test_a_broken_user_price_file_is_left_alone_with_the_reason(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = "models:\n  mine: {input: 1, output: [\n"
    (home / "prices.yaml").write_text(broken)
    assert run(["prices", "import", str(SAMPLE)]) == 1
    err = capsys.readouterr().err
    assert "your price file is not valid YAML, so it was left as it is" in err and "Traceback" not in err
    assert (home / "prices.yaml").read_text() == broken and read_changes(home) == []
