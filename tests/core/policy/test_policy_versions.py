"""Every save keeps a version of the policy in the data directory; versions restore and diff in words."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from console.core.policy.loader import load_policy_text
from console.core.policy.save import policy_hash, save_text
from console.core.policy.version_diff import diff_summary, policy_diff
from console.core.policy.versions import keep_version, restore_version, versions

DEMO = Path(__file__).resolve().parents[3] / "policies" / "demo-traffic.yaml"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("ROUTEDESK_HOME", str(folder))
    return folder


def _edited(text: str) -> str:
    return text.replace("    model: gpt-4.1-mini\n    prices:\n      input: 0.4",
                        "    model: gpt-4.1-mini\n    prices:\n      input: 0.35")


def test_each_save_keeps_a_version_and_the_same_text_only_once(home: Path, tmp_path: Path) -> None:
    original = DEMO.read_text()
    target = tmp_path / "demo.yaml"
    save_text(original, target)
    save_text(original, target)  # unchanged: no second version
    save_text("# a comment only\n" + original, target)
    save_text(_edited(original), target)
    kept = versions("demo")
    assert [v.text() for v in kept] == [original, "# a comment only\n" + original, _edited(original)]
    assert all(v.file.parent.parent == home / "policy-versions" for v in kept)
    policy = load_policy_text(_edited(original)).policy
    assert policy is not None and kept[-1].policy_hash == policy_hash(policy)  # the log's identity of it
    assert kept[0].saved_at < kept[1].saved_at < kept[2].saved_at and kept[-1].saved_to == str(target)


def test_an_invalid_policy_is_saved_but_not_kept_as_a_version(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "broken.yaml"
    save_text("name: [\n", target)
    assert target.read_text() == "name: [\n" and not (home / "policy-versions").exists()


def test_a_history_that_cannot_be_written_never_fails_the_save(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    monkeypatch.setenv("ROUTEDESK_HOME", str(blocker))
    target = tmp_path / "demo.yaml"
    save_text(DEMO.read_text(), target)
    assert target.read_text() == DEMO.read_text()


def test_restoring_a_version_writes_it_back_and_becomes_the_newest(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "demo.yaml"
    save_text(DEMO.read_text(), target)
    save_text(_edited(DEMO.read_text()), target)
    first = versions("demo")[0]
    assert restore_version(first) == target and target.read_text() == DEMO.read_text()
    assert [v.text_hash for v in versions("demo")][-1] == first.text_hash and len(versions("demo")) == 3


def test_lines_cut_short_in_the_index_are_skipped(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    keep_version(DEMO.read_text(), tmp_path / "demo.yaml", root=root,
                 now=datetime.datetime(2026, 10, 1, tzinfo=datetime.timezone.utc))
    with (root / "demo" / "index.jsonl").open("a") as handle:
        handle.write('{"saved_at": "2026-10-')
    assert [v.saved_at.date() for v in versions("demo", root=root)] == [datetime.date(2026, 10, 1)]


def test_the_diff_says_what_moved_from_and_to() -> None:
    before = load_policy_text(DEMO.read_text()).policy
    text = _edited(DEMO.read_text()).replace("  analysis: {}\n", "  analysis: {}\n  triage: {}\n", 1)
    after = load_policy_text(text).parsed
    assert before is not None and after is not None
    moved = {m.path: m for m in policy_diff(before, after)}
    assert moved["models.gpt-mini.prices.input"].describe() == "models.gpt-mini.prices.input: 0.4 → 0.35"
    assert "tasks.triage" in moved and moved["tasks.triage"].before is None
    assert diff_summary(before, before) == ["no change to routing (text or comments only)"]
    assert diff_summary(None, before)[0].startswith("first version:")
    assert len(diff_summary(before, after, limit=1)) == 2


def test_saves_from_many_threads_at_once_keep_every_version(home: Path, tmp_path: Path) -> None:
    # Each save appends one line to the index (O_APPEND) and writes its own file: none is lost or torn.
    import threading

    texts = [DEMO.read_text().replace("description: ", f"description: v{n} ", 1) for n in range(24)]
    start = threading.Barrier(8)

    def save(chunk: list[str], n: int) -> None:
        start.wait()
        for text in chunk:
            save_text(text, tmp_path / f"demo-{n}.yaml")

    threads = [threading.Thread(target=save, args=(texts[n::8], n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = versions("demo")
    assert sorted(v.text() for v in kept) == sorted(texts)
    assert len((home / "policy-versions" / "demo" / "index.jsonl").read_text().splitlines()) == len(texts)
