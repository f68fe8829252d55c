"""A shadowed policy on disk for shadow tests: production and shadow models served by the fault server."""

from __future__ import annotations

from pathlib import Path

ASSERTION_BAR = "name: echoes\nassertions: [{kind: regex, value: '[a-z]'}]\nrule: {relative_to_baseline: 0.9}\n"
JUDGE_BAR = ("name: judged\nassertions: [{kind: regex, value: '[a-z]'}]\n"
             "judge: {model: judge, rubric: 'Is it right?', against: baseline}\nrule: {relative_to_baseline: 0.9}\n")


def write_policy(folder: Path, url: str, *, shadow_fault: str = "ok#shadow", production_fault: str = "ok",
                 sample: float = 1.0, cap_usd: float = 5.0, timeout_s: float = 30.0, bar: str = ASSERTION_BAR,
                 max_in_flight: int = 4, budget_usd: float | None = None) -> Path:  # noqa: PLR0913
    """``policy.yaml`` (route ``support``: production ``prod``, shadow ``cheap``) and ``bars/x.yaml``."""
    (folder / "bars").mkdir(parents=True, exist_ok=True)
    (folder / "bars" / "x.yaml").write_text(bar, encoding="utf-8")
    budgets = (f"budgets:\n  - {{name: daily, period: day, limit_usd: {budget_usd}, action: warn}}\n"
               if budget_usd is not None else "")
    text = f"""name: shadow-test
providers:
  faults: {{kind: openai-compatible, base_url: "{url}"}}
models:
  prod: {{provider: faults, model: "{production_fault}", prices: {{input: 300, output: 900}}}}
  cheap: {{provider: faults, model: "{shadow_fault}", prices: {{input: 100, output: 300}}}}
  judge: {{provider: faults, model: "ok#judge", prices: {{input: 1, output: 1}}}}
tasks: {{support: {{}}}}
classification: {{default: support}}
routes:
  support:
    candidates: [prod]
    max_output_tokens: 32
    retries: {{max: 0}}
    shadow: {{model: cheap, sample: {sample}, max_usd_per_day: {cap_usd}, bar: bars/x.yaml, timeout_s: {timeout_s},
              max_in_flight: {max_in_flight}}}
{budgets}"""
    path = folder / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def collect(policy_path: Path, log: str, prompts: list[str]) -> list[str]:
    """Route ``prompts`` through a fresh workspace and wait for their shadows; the production ids."""
    import asyncio

    from console.core.policy.loader import load_policy_or_raise
    from console.core.request import Request
    from console.core.workspace import Workspace

    policy = load_policy_or_raise(policy_path)

    async def go() -> list[str]:
        workspace = Workspace(log)
        try:
            engine = workspace.engine(policy, policy_path)
            ids = []
            for prompt in prompts:
                ids.append((await engine.route(Request.from_prompt(prompt))).request_id)
                if engine.shadows is not None:
                    await engine.shadows.wait_idle()
            return ids
        finally:
            await workspace.aclose()

    return asyncio.run(go())
