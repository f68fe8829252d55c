"""build_info in a source checkout and in a frozen app; resources lookups in a frozen layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import console
from console import build_info as info_module
from console.build_info import UNRELEASED, build_info, parse_build_info
from console.core import resources
from tests.packaging.conftest import ROOT


def test_source_checkout_defaults() -> None:
    info = build_info()
    assert info.packaged is False
    assert info.version == console.__version__
    assert info.variant == "cpu"
    assert info.build_date == UNRELEASED
    if (ROOT / ".git").exists():
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        assert head.startswith(info.git_commit)


def test_unknown_variant_and_missing_fields_get_safe_values() -> None:
    info = parse_build_info({"variant": "rocm"}, fallback_version="9.9")
    assert (info.variant, info.version, info.build_date, info.git_commit, info.packaged) == \
        ("cpu", "9.9", "unknown", "unknown", True)


@pytest.fixture
def frozen_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder laid out like PyInstaller's _internal, with sys.frozen/_MEIPASS pointing at it."""
    bundle = tmp_path / "_internal"
    (bundle / "resources").mkdir(parents=True)
    (bundle / "resources" / "prices.yaml").write_text("models: {}\n", encoding="utf-8")
    (bundle / "policies").mkdir()
    (bundle / "policies" / "demo.yaml").write_text("version: 1\n", encoding="utf-8")
    (bundle / "models").mkdir()
    (bundle / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf").write_bytes(b"GGUF")
    (bundle / "build-info.json").write_text(json.dumps(
        {"version": "1.0.0", "variant": "cuda", "build_date": "2026-01-02", "git_commit": "abc123"}), encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    return bundle


def test_frozen_app_reads_its_build_info(frozen_bundle: Path) -> None:
    info = info_module.build_info()
    assert (info.version, info.variant, info.build_date, info.git_commit, info.packaged) == \
        ("1.0.0", "cuda", "2026-01-02", "abc123", True)


def test_frozen_app_finds_resources_policies_and_model_in_the_bundle(frozen_bundle: Path) -> None:
    from console.cli.policy_args import demo_policy_path
    from console.core.policy.prices import resources_dir
    from console.core.providers.local_models import bundled_model_path

    assert Path(str(resources_dir())) == frozen_bundle / "resources"
    assert demo_policy_path() == frozen_bundle / "policies" / "demo.yaml"
    assert resources.example_policy_path() == frozen_bundle / "policies" / "demo.yaml"
    assert bundled_model_path("smollm2-135m") == frozen_bundle / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_checkout_lookups_point_into_the_repository() -> None:
    assert resources.frozen_root() is None
    assert resources.resource_path("prices.yaml") == ROOT / "resources" / "prices.yaml"
    assert resources.example_policy_path() == ROOT / "policies" / "demo.yaml"
    assert resources.bundled_model_file("SmolLM2-135M-Instruct.Q4_1.gguf") is None
