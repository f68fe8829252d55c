"""The Team page against a real PostgreSQL team store: keys listed, created (shown once), revoked;
the active policy published; a policy with errors or no store is a sentence, not a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from console.core.active_policy import PolicyChoice
from console.core.app import team
from console.core.policy.loader import load_policy
from console.ui.pages.team.page import TeamPage
from tests.support.postgres import postgres_server, postgres_url  # noqa: F401 - fixtures

DEMO = Path(__file__).resolve().parents[2] / "policies" / "demo.yaml"


def test_keys_are_created_once_listed_and_revoked(qtbot: Any, bridge: Any, postgres_url: str) -> None:  # noqa: F811
    page = TeamPage(bridge, active_policy=lambda: None)
    qtbot.addWidget(page)
    page.store.setText(postgres_url)
    page.create_key("ana", "growth")
    qtbot.waitUntil(lambda: page.new_key.text().startswith("rdk_") and len(page.keys) == 1, timeout=15000)
    plain = page.new_key.text()
    assert page.table.item(0, 1).text() == "ana" and page.table.item(0, 4).text() == "active"
    assert plain not in page.message.text() and "shown only this once" in page.message.text()
    page.table.selectRow(0)
    page.revoke_selected()
    qtbot.waitUntil(lambda: page.keys and page.keys[0].revoked_at is not None, timeout=15000)
    assert page.table.item(0, 4).text().startswith("revoked") and "revoked" in page.message.text()
    assert team.list_keys(postgres_url, include_revoked=False) == []  # the store agrees
    page.create_key("bad name", "growth")
    qtbot.waitUntil(lambda: "name 'bad name'" in page.message.text(), timeout=15000)


def test_publishing_sends_the_saved_active_policy(qtbot: Any, bridge: Any, postgres_url: str) -> None:  # noqa: F811
    choice: list[Any] = [None]
    page = TeamPage(bridge, active_policy=lambda: choice[0])
    qtbot.addWidget(page)
    page.publish_active()
    assert "team store's address" in page.message.text()  # no store yet
    page.store.setText(postgres_url)
    page.publish_active()
    assert "Open and save a policy" in page.message.text()  # nothing active
    choice[0] = PolicyChoice(DEMO, load_policy(DEMO).policy, "demo.yaml")
    page.publish_active()
    qtbot.waitUntil(lambda: "as version" in page.message.text(), timeout=15000)
    published = team.published_version(postgres_url)
    assert published is not None and published.body == DEMO.read_text()
    assert f"as version {published.version}" in page.message.text()
