"""Key references and stores: memory store logic, unusable backends refused, real keyring round trip."""

from __future__ import annotations

import pytest

from console.core.secrets import (
    INDEX_USERNAME,
    KeyNotFound,
    KeyringStore,
    MemoryKeyStore,
    NoUsableKeyring,
    SecretsError,
    resolve_key,
)
from tests.support.keyring_daemon import KeyringSession

SECRET = "sk-test-DO-NOT-LEAK-7f3a9c"


def test_resolve_env_and_keyring_refs(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryKeyStore({"openai": SECRET})
    assert resolve_key("keyring:openai", store) == SECRET
    monkeypatch.setenv("ROUTEDESK_TEST_KEY", SECRET)
    assert resolve_key("env:ROUTEDESK_TEST_KEY", store) == SECRET
    assert resolve_key(None, store) is None


def test_missing_keys_name_the_ref_never_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryKeyStore({"other": SECRET})
    monkeypatch.delenv("ROUTEDESK_ABSENT", raising=False)
    for ref in ("keyring:openai", "env:ROUTEDESK_ABSENT"):
        with pytest.raises(KeyNotFound) as caught:
            resolve_key(ref, store)
        assert ref in str(caught.value) and SECRET not in str(caught.value)
    with pytest.raises(SecretsError, match="not a key reference"):
        resolve_key("file:/etc/passwd", store)
    assert SECRET not in repr(store)


@pytest.mark.parametrize(
    "backend_path",
    ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"],
)
def test_null_and_fail_backends_are_refused(backend_path: str) -> None:
    module_name, _, class_name = backend_path.rpartition(".")
    module = __import__(module_name, fromlist=[class_name])
    store = KeyringStore(backend=getattr(module, class_name)())
    with pytest.raises(NoUsableKeyring, match="cannot store keys"):
        store.set("openai", SECRET)


def test_plaintext_backend_is_refused() -> None:
    plaintext = type("PlaintextKeyring", (), {"__module__": "keyrings.alt.file"})
    with pytest.raises(NoUsableKeyring, match="plaintext"):
        KeyringStore(backend=plaintext()).get("openai")


def test_chainer_with_only_unusable_members_is_refused() -> None:
    from keyring.backends import fail

    chainer = type("ChainerBackend", (), {"backends": [fail.Keyring()]})
    with pytest.raises(NoUsableKeyring):
        KeyringStore(backend=chainer()).names()


@pytest.mark.keyring
def test_real_secret_service_round_trip(keyring_session: KeyringSession) -> None:
    from keyring.backends import SecretService

    store = KeyringStore(service="routedesk-unit", backend=SecretService.Keyring())
    store.set("openai", SECRET)
    store.set("anthropic", SECRET + "-2")
    assert store.get("openai") == SECRET
    assert store.names() == ["anthropic", "openai"]
    assert store.delete("openai") is True
    assert store.delete("openai") is False
    assert store.names() == ["anthropic"]
    assert store.get("openai") is None
    with pytest.raises(SecretsError):
        store.set(INDEX_USERNAME, "x")
    store.delete("anthropic")
