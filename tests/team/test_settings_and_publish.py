"""The gateway config file's errors, and publishing a policy to the team store (real PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.core.engine import Engine
from console.core.team.published import PolicyPublisher, PublishRefused
from console.core.team.settings import SettingsError, load_settings

POLICY = Path(__file__).resolve().parents[2] / "policies" / "demo.yaml"
WITH_BUDGETS = POLICY.with_name("support-desk.yaml")


@pytest.mark.parametrize("text, says", [
    ("port = 'x'", "'port' must be of type int"),
    ("prot = 1", "unknown setting 'prot'"),
    ("[team]\nredis = 5", "'team.redis' must be of type str"),
    ("[team]\nkey_cache_s = 0", "'team.key_cache_s' must be more than 0"),
    ("tls_cert = 'c.pem'", "'tls_cert' and 'tls_key' go together"),
    ("port = [", "not valid TOML"),
    ("insecure_http = 1", "'insecure_http' must be of type bool"),
])
def test_a_bad_config_file_is_an_error_naming_file_and_key(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=str(path).replace(".", r"\.")) as caught:
        load_settings(path)
    assert says in str(caught.value)


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text("policy = 'p.yaml'\ntls_cert = 'c.pem'\ntls_key = 'k.pem'\n[team]\n"
                                           "postgres = 'postgresql://db/x'\n")
    settings = load_settings(tmp_path / "gateway.toml")
    assert settings.policy == str(tmp_path / "p.yaml") and settings.tls_key == str(tmp_path / "k.pem")
    assert settings.team.postgres == "postgresql://db/x" and settings.team.key_cache_s == 2.0


def test_a_published_policy_reaches_a_gateway_and_a_broken_one_is_refused(postgres_url: str) -> None:
    from console.core.budget.reservations import SharedBudgetBook
    from console.core.team.health_signals import HealthSignals
    from console.core.team.settings import TeamSettings
    from console.gateway.team import TeamGateway

    publisher = PolicyPublisher(postgres_url)
    try:
        with pytest.raises(PublishRefused, match="not published"):
            publisher.publish("name: [", filename="broken.yaml")
        assert publisher.latest() is None
        first = publisher.publish(WITH_BUDGETS.read_text().replace("name: support-desk", "name: demo-v2", 1), by="ana")
        assert first.version >= 1 and publisher.latest() == first
        assert publisher.latest(newer_than=first.version) is None

        engine = Engine.from_file(POLICY)
        from console.core.budget.postgres_store import PostgresSpendStore

        team = TeamGateway("gw1", SharedBudgetBook(PostgresSpendStore(postgres_url)), HealthSignals("gw1"),
                           TeamSettings(), publisher=publisher)
        team.spend_in_log = lambda policy: {budget.name: 0.75 for budget in policy.budgets}
        heard: list[str] = []
        team.on_policy = heard.append
        assert asyncio.run(team.check_published(engine))
        assert engine.policy.name == "demo-v2" and team.status()["policy_version"] == first.version
        assert not asyncio.run(team.check_published(engine))  # nothing newer
        assert heard == [f"published policy v{first.version} applied; now serving {engine.policy_hash}"]
        assert engine.policy.budgets  # each budget of the new version starts from the log's figure
        assert set(team.book.snapshot(engine.policy).values()) == {0.75}
        team.book.close()
    finally:
        publisher.close()
