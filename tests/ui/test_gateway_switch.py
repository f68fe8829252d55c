"""The status bar's endpoint switch serves the open policy with the keyring's token, then stops."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx

from console.ui.gateway_switch import GatewaySwitch

DEMO = Path(__file__).resolve().parents[2] / "policies" / "demo.yaml"


def test_switch_starts_serves_refuses_without_token_and_stops(qtbot, bridge, keyring_session, tmp_path: Path) -> None:
    policy = tmp_path / "demo.yaml"
    shutil.copyfile(DEMO, policy)
    switch = GatewaySwitch(bridge, lambda: policy, port=0)
    qtbot.addWidget(switch)
    with qtbot.waitSignal(switch.sig_running_changed, timeout=20000):
        switch.toggle.click()
    assert switch.running and switch.token
    url = switch.server.url
    with httpx.Client(trust_env=False, timeout=10) as client:
        listed = client.get(f"{url}/models", headers={"Authorization": f"Bearer {switch.token}"})
        refused = client.get(f"{url}/models")
    assert listed.status_code == 200 and "auto" in listed.text
    assert refused.status_code == 401
    switch.refresh()
    assert "1 refused" in switch.label.text()
    with qtbot.waitSignal(switch.sig_running_changed, timeout=20000):
        switch.toggle.click()
    assert not switch.running and switch.label.text() == "endpoint: off"
