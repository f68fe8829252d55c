"""The Keys page's words and rows: sentences about the window (never a command to type), the last
verification in the Status column, and each provider once however many policy tabs are open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.ui.pages.policy_editor.editor_tab import open_document
from tests.support.fault_responses import error_body
from tests.support.fault_server import CannedResponse, fault_server  # noqa: F401 (the fixture)
from tests.ui.conftest import SAMPLE_POLICY

POLICY = """\
version: 1
name: {name}
providers:
  hosted:
    kind: openai-compatible
    base_url: {url}
    key: env:RD_KEYS_PAGE_TEST_KEY
  absent:
    kind: openai-compatible
    base_url: {url}
    key: env:RD_KEYS_PAGE_UNSET_KEY
models:
  m:
    provider: hosted
    model: ok
    prices: {{input: 1.0, output: 1.0}}
    context_window: 8000
tasks:
  chat:
    route: [m]
"""


def _policy(tmp_path: Path, name: str, url: str) -> Any:
    path = tmp_path / f"{name}.yaml"
    path.write_text(POLICY.format(name=name, url=url), encoding="utf-8")
    return open_document(path)


def _row(page: Any, provider: str) -> Any:
    return next(row for row in page.rows if row.provider == provider)


def test_a_rejected_key_reads_rejected_with_when_not_set_in_keyring(qtbot: Any, bridge: Any, tmp_path: Path,
                                                                   fault_server: Any,  # noqa: F811
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from console.core.app.keys import MemoryKeyStore
    from console.ui.pages.keys.page import KeysPage

    monkeypatch.setenv("RD_KEYS_PAGE_TEST_KEY", "sk-wrong")
    monkeypatch.delenv("RD_KEYS_PAGE_UNSET_KEY", raising=False)
    documents = [_policy(tmp_path, "alpha", fault_server.url)]
    page = KeysPage(bridge, policies=lambda: documents, store=MemoryKeyStore())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: bool(page.rows), timeout=15000)
    assert _row(page, "hosted").status == "from env · not verified"

    fault_server.replay(CannedResponse(401, error_body("invalid_request_error", "Incorrect API key provided").decode(),
                                       {"content-type": "application/json"}))
    page.test_key(_row(page, "hosted"))
    qtbot.waitUntil(lambda: "hosted" in page.verified and _row(page, "hosted").status.startswith("rejected"),
                    timeout=15000)
    status = _row(page, "hosted").status
    assert "last verified" in status and "from env" not in status and "set in keyring" not in status
    message = page.message.text()
    assert message.startswith("The test of hosted failed: the provider rejected the key")
    assert message.count("hosted") == 1 and "routedesk" not in message and "run:" not in message

    page.test_key(_row(page, "hosted"))  # the server answers normally now: the key works
    qtbot.waitUntil(lambda: _row(page, "hosted").status.startswith("from env · verified"), timeout=15000)
    assert _row(page, "hosted").status.endswith("works")


def test_a_missing_key_is_a_window_sentence_without_cli_advice(qtbot: Any, bridge: Any, tmp_path: Path,
                                                               fault_server: Any,  # noqa: F811
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from console.core.app.keys import MemoryKeyStore
    from console.ui.pages.keys.page import KeysPage

    monkeypatch.delenv("RD_KEYS_PAGE_UNSET_KEY", raising=False)
    documents = [_policy(tmp_path, "alpha", fault_server.url)]
    page = KeysPage(bridge, policies=lambda: documents, store=MemoryKeyStore())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: bool(page.rows), timeout=15000)
    assert _row(page, "absent").status == "env var not set"
    page.test_key(_row(page, "absent"))
    qtbot.waitUntil(lambda: "absent" in page.verified, timeout=15000)
    message = page.message.text()
    assert message.startswith("The test of absent failed: no key to test")
    assert "Set / replace key" in message
    assert "routedesk" not in message and "run:" not in message and message.count("absent") == 1
    assert "not found: " not in message  # no "key env:X not found: ..." prefix on top of the reason


def test_each_provider_is_listed_once_however_many_tabs_are_open(qtbot: Any, bridge: Any, tmp_path: Path) -> None:
    from console.core.app.keys import MemoryKeyStore
    from console.ui.pages.keys.page import KeysPage

    url = "http://127.0.0.1:9/v1"
    documents = [_policy(tmp_path, "alpha", url), _policy(tmp_path, "alpha", url), _policy(tmp_path, "beta", url),
                 open_document(SAMPLE_POLICY)]
    page = KeysPage(bridge, policies=lambda: documents, store=MemoryKeyStore())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: bool(page.rows), timeout=15000)
    names = [row.provider for row in page.rows]
    assert sorted(names) == sorted({"hosted", "absent", "openai", "local"})
    assert _row(page, "hosted").policy == "alpha, beta"
    assert page.table.rowCount() == 4
