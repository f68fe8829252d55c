"""A model whose provider has no key is dropped in the plan with the reason, never "passes every check"."""

from __future__ import annotations

import pytest

from console.core.engine import Engine
from console.core.key_presence import missing_keys
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.plan import plan_route
from console.core.secrets import KeyringStore, MemoryKeyStore
from tests.core.routing.policies import base_policy_dict
from tests.support.keyring_daemon import KeyringSession

SECRET = "sk-test-DO-NOT-LEAK-key-presence"


def keyed_policy() -> Policy:
    data = base_policy_dict()
    data["providers"]["hosted"]["key"] = "keyring:hosted-key"
    data["providers"]["eu"]["key"] = "env:ROUTEDESK_TEST_EU_KEY"
    return Policy.model_validate(data)


def test_missing_keys_names_each_provider_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTEDESK_TEST_EU_KEY", raising=False)
    found = missing_keys(keyed_policy(), MemoryKeyStore())
    assert set(found) == {"hosted", "eu"}  # the local provider needs no key
    assert "no keyring entry 'hosted-key'" in found["hosted"]
    assert "environment variable ROUTEDESK_TEST_EU_KEY is not set" in found["eu"]

    monkeypatch.setenv("ROUTEDESK_TEST_EU_KEY", SECRET)
    found = missing_keys(keyed_policy(), MemoryKeyStore({"hosted-key": SECRET}))
    assert found == {}


def test_reasons_never_carry_a_key_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEDESK_TEST_EU_KEY", SECRET)
    found = missing_keys(keyed_policy(), MemoryKeyStore())
    assert SECRET not in repr(found)


def test_plan_drops_a_model_without_its_key_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTEDESK_TEST_EU_KEY", raising=False)
    policy = keyed_policy()
    request = Request.from_prompt("where is my parcel")
    found = missing_keys(policy, MemoryKeyStore({"hosted-key": SECRET}))
    plan = plan_route(request, policy, missing_keys=found)
    by_model = {c.model: c for c in plan.candidates}
    assert by_model["mid"].kept and by_model["mid"].reason == "passes every check"
    assert not by_model["mid-eu"].kept
    assert "no key for provider 'eu'" in by_model["mid-eu"].reason
    assert "ROUTEDESK_TEST_EU_KEY" in by_model["mid-eu"].reason
    assert by_model["local"].kept  # an in-process model needs no key
    # Engine.explain takes the same fact and gives the same plan.
    assert Engine(policy).explain(request, missing_keys=found) == plan


def test_unusable_keyring_is_a_reason_too() -> None:
    from keyring.backends import fail

    found = missing_keys(keyed_policy(), KeyringStore(backend=fail.Keyring()))
    assert "no usable keyring" in found["hosted"]


@pytest.mark.keyring
def test_real_keyring_entry_makes_the_model_pass(keyring_session: KeyringSession, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keyring.backends import SecretService

    monkeypatch.setenv("ROUTEDESK_TEST_EU_KEY", SECRET)
    store = KeyringStore(service="routedesk-key-presence", backend=SecretService.Keyring())
    assert "hosted" in missing_keys(keyed_policy(), store)
    store.set("hosted-key", SECRET)
    try:
        assert missing_keys(keyed_policy(), store) == {}
    finally:
        store.delete("hosted-key")
