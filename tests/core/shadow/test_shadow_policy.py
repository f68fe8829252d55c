"""The route's ``shadow:`` field: located errors for bad values, a missing or broken bar file, an
unknown model; a policy saved or edited keeps it; sampling is a fixed function of the request id."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.policy.loader import load_policy, load_policy_text
from console.core.policy.round_trip import render
from console.core.policy.save import dump_policy
from console.core.policy.source_map import parse_yaml
from console.core.shadow.sampling import in_sample, sample_point
from tests.core.shadow.policies import write_policy

URL = "http://127.0.0.1:9/v1"


def findings(path: Path) -> list[tuple[str, str, int | None, str]]:
    return [(d.code or "", d.path, d.line, d.severity) for d in load_policy(path).diagnostics]


def test_a_sound_shadow_loads_with_no_findings(tmp_path: Path) -> None:
    path = write_policy(tmp_path, URL, sample=0.05, cap_usd=2.0)
    loaded = load_policy(path)
    assert [d for d in loaded.diagnostics if d.severity == "error"] == []
    shadow = loaded.policy.routes["support"].shadow  # type: ignore[union-attr]
    assert shadow is not None and (shadow.model, shadow.sample, shadow.max_usd_per_day, shadow.bar) == (
        "cheap", 0.05, 2.0, "bars/x.yaml")


def test_bad_shadow_values_are_located_errors(tmp_path: Path) -> None:
    path = write_policy(tmp_path, URL)
    text = path.read_text()
    path.write_text(text.replace("model: cheap, sample: 1.0", "model: chep, sample: 1.5"))
    loaded = load_policy(path)
    assert loaded.policy is None
    [error] = [d for d in loaded.diagnostics if d.severity == "error"]
    assert error.path == "routes.support.shadow.sample" and error.line == 15 and "a number <= 1, found 1.5" in error.message
    path.write_text(text.replace("model: cheap,", "model: chep,"))
    [unknown] = [d for d in load_policy(path).diagnostics if d.severity == "error"]
    assert (unknown.code, unknown.path, unknown.line, unknown.suggestion) == (
        "unknown-model", "routes.support.shadow.model", 15, "cheap")
    path.write_text(text.replace("max_usd_per_day: 5.0", "max_usd_per_day: 0").replace("timeout_s: 30.0", "timout_s: 3"))
    assert {d.path for d in load_policy(path).diagnostics if d.severity == "error"} == {
        "routes.support.shadow.max_usd_per_day", "routes.support.shadow.timout_s"}


def test_the_bar_file_must_exist_and_be_a_bar(tmp_path: Path) -> None:
    path = write_policy(tmp_path, URL)
    (tmp_path / "bars" / "x.yaml").unlink()
    assert ("shadow-bar-missing", "routes.support.shadow.bar", 15, "error") in findings(path)
    (tmp_path / "bars" / "x.yaml").write_text("assertions: [{kind: nope}]\n")
    [bad] = [d for d in load_policy(path).diagnostics if d.code == "shadow-bar-invalid"]
    assert "assertions.0.kind" in bad.message and "x.yaml" in bad.message
    path.write_text(path.read_text().replace("bars/x.yaml", "bars/x.txt"))
    assert ("shadow-bar-kind", "routes.support.shadow.bar", 15, "error") in findings(path)
    # Unsaved text in the editor: the bar's folder is unknown, everything else is still checked.
    assert not [d for d in load_policy_text(path.read_text().replace("x.txt", "x.yaml")).diagnostics
                if d.severity == "error"]


def test_shadowing_the_model_that_answers_first_warns(tmp_path: Path) -> None:
    path = write_policy(tmp_path, URL)
    path.write_text(path.read_text().replace("shadow: {model: cheap", "shadow: {model: prod"))
    assert ("shadow-of-itself", "routes.support.shadow.model", 15, "warning") in findings(path)


def test_saving_and_editing_keep_the_shadow(tmp_path: Path) -> None:
    path = write_policy(tmp_path, URL, sample=0.05)
    original = path.read_text()
    policy = load_policy(path).policy
    assert policy is not None
    again = load_policy_text(dump_policy(policy)).policy
    assert again is not None and again.routes["support"].shadow == policy.routes["support"].shadow
    tree = parse_yaml(original).tree  # what the editor edits
    assert render(tree, original) == original
    tree["routes"]["support"]["max_output_tokens"] = 64  # an unrelated edit leaves the shadow's lines as written
    edited = render(tree, original)
    assert "max_output_tokens: 64" in edited
    kept = [line for line in original.splitlines() if "shadow:" in line or "max_in_flight" in line]
    assert len(kept) == 2 and all(line in edited.splitlines() for line in kept)
    reloaded = load_policy_text(edited).policy
    assert reloaded is not None and reloaded.routes["support"].shadow == policy.routes["support"].shadow


@settings(max_examples=200, deadline=None)
@given(st.uuids(), st.floats(min_value=0.001, max_value=1.0))
def test_sampling_is_a_function_of_the_request_id(request_id: uuid.UUID, share: float) -> None:
    rid = request_id.hex
    assert in_sample(rid, share) == in_sample(rid, share) == (sample_point(rid) < share)
    assert in_sample(rid, 1.0) and 0.0 <= sample_point(rid) < 1.0


def test_the_sampled_share_is_close_to_the_setting() -> None:
    ids = [uuid.UUID(int=n * 7919 + 1).hex for n in range(20000)]
    share = sum(in_sample(i, 0.05) for i in ids) / len(ids)
    assert abs(share - 0.05) < 0.005
