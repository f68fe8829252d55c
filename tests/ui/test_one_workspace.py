"""One Workspace and one provider pool per window: every page and the endpoint share the demo GGUF.

The window is used as a person would: the demo policy open, a side-by-side run and a pilot on the
demo model, the endpoint switched on and asked through HTTP. Loads are counted where they really
happen (each Llama built anywhere in the process, and the pool's own counter), not mocked.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import httpx
import pytest

from console.core.providers.local_gguf_model import LoadedModel
from tests.support.parts import require_demo_gguf

DEMO = Path(__file__).resolve().parents[2] / "policies" / "demo.yaml"
BAR = "assertions: [{kind: max_length, value: 100000}]\nrule: {min_pass_rate: 0.0}\n"


@pytest.mark.gguf
@pytest.mark.slow
def test_the_window_its_pages_and_the_endpoint_load_the_demo_gguf_once(
    qtbot, keyring_session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    gguf = require_demo_gguf()
    loads: list[str] = []
    load = LoadedModel.load_in_worker

    def counted(self: LoadedModel, gpu_offload: bool) -> None:  # the real load, counted
        loads.append(threading.current_thread().name)
        load(self, gpu_offload)

    monkeypatch.setattr(LoadedModel, "load_in_worker", counted)
    policy = tmp_path / "demo.yaml"
    shutil.copyfile(DEMO, policy)
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"prompt": f"Say {n}.", "reference": str(n)}) + "\n" for n in range(2)))

    from console.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.bridge.log_url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    window.gateway_switch.port = 0
    window.open_first_policy(policy)
    try:
        compare = window.ensure_page(4)
        compare.set_policy_path(policy)
        compare.prompt.setPlainText("Say hi.")
        compare.max_tokens.setValue(8)
        with qtbot.waitSignal(compare.sig_comparison_finished, timeout=120000) as compared:
            compare.run_comparison()
        assert [c.outcome.value for c in compared.args[0].columns] == ["ok", "ok"]  # smollm2, smollm2-cpu

        pilot = window.ensure_page(5)
        pilot.set_policy_path(policy)
        pilot.source.setCurrentIndex(1)
        pilot.source_value.setText(str(cases))
        pilot.task.setText("chat")
        pilot.baseline.setText("smollm2")
        pilot.candidate.setText(str(gguf))  # an ad hoc column on the same file
        pilot.bar.setPlainText(BAR)
        with qtbot.waitSignal(pilot.sig_pilot_finished, timeout=180000) as piloted:
            pilot.start(resume=False)
        assert piloted.args[0] is not None and piloted.args[0].report.complete

        switch = window.gateway_switch
        with qtbot.waitSignal(switch.sig_running_changed, timeout=30000):
            switch.start()
        with httpx.Client(trust_env=False, timeout=120) as client:
            answer = client.post(f"{switch.server.url}/chat/completions",
                                 headers={"Authorization": f"Bearer {switch.token}"},
                                 json={"model": "smollm2", "max_tokens": 8,
                                       "messages": [{"role": "user", "content": "Say hi."}]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["choices"][0]["message"]["content"]

        pool = window.bridge.workspace.providers
        assert pool.local.load_count(gguf) == 1
        assert len(loads) == 1, f"the demo GGUF was loaded {len(loads)} times: {loads}"
        with qtbot.waitSignal(switch.sig_running_changed, timeout=30000):
            switch.stop()
    finally:
        window.close()
