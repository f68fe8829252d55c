"""The words key lists use: presence, the last verification and its time, no front end's advice."""

from __future__ import annotations

from datetime import datetime

import pytest

from console.core.app.keys import KeyCheck, KeyTestFailed, KeyVerification, status_with_verification
from console.core.secrets import KeyNotFound, MemoryKeyStore, resolve_key


def test_status_leads_with_a_refusal_and_says_when() -> None:
    at = datetime(2026, 12, 6, 14, 2).timestamp()
    rejected = KeyVerification.of("openai", KeyTestFailed("openai", "the provider rejected the key", rejected=True), at)
    assert status_with_verification("set in keyring", rejected) == "rejected by the provider (last verified 14:02)"
    works = KeyVerification.of("openai", KeyCheck("openai", 12), at)
    assert status_with_verification("set in keyring", works) == "set in keyring · verified 14:02: works"
    assert status_with_verification("set in keyring", None) == "set in keyring · not verified"
    assert status_with_verification("missing", None) == "missing"


def test_a_missing_keyring_entry_names_the_entry_without_cli_advice() -> None:
    with pytest.raises(KeyNotFound) as caught:
        resolve_key("keyring:openai", MemoryKeyStore())
    assert caught.value.detail == "the keyring has no entry 'openai'"
    assert "routedesk" not in str(caught.value)
    failed = KeyTestFailed("openai", "no key to test: the keyring has no entry 'openai'", missing=True)
    assert str(failed) == "openai: no key to test: the keyring has no entry 'openai'"
