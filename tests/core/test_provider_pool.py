"""The provider pool: a GGUF file is loaded once per process, whoever asks and on whichever loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from console.core.policy import schema
from console.core.policy.loader import load_policy_or_raise
from console.core.providers.local_gguf_model import LoadedModel
from console.core.providers.pool import ProviderPool
from console.core.request import Request
from console.core.workspace import Workspace
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.support.parts import require_demo_gguf

MODEL = "bundled:smollm2-135m"
LOCAL = schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF)


@pytest.fixture
def real_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Llama built in this process, anywhere (the real load runs; it is only counted)."""
    loads: list[str] = []
    original = LoadedModel.load_in_worker

    def counted(self: LoadedModel, gpu_offload: bool) -> None:
        loads.append(str(self.settings.path))
        original(self, gpu_offload)

    monkeypatch.setattr(LoadedModel, "load_in_worker", counted)
    return loads


def test_providers_with_other_settings_on_two_loops_share_one_load(real_loads: list[str]) -> None:
    path = require_demo_gguf()
    pool = ProviderPool()

    def load_on_own_loop(context: int, threads: int, results: list[object]) -> None:
        async def go() -> None:
            provider = pool.local_provider("local", LOCAL)
            provider.configure(schema.Model(provider="local", model=MODEL, context_window=context, threads=threads))
            # several callers at once on each loop: the race a window and an endpoint start together
            models = await asyncio.gather(*(provider.load(provider.settings_for(MODEL)) for _ in range(4)))
            results.extend(models)

        asyncio.run(go())

    results: list[object] = []
    threads = [threading.Thread(target=load_on_own_loop, args=(256 * (n + 1), 1 + n % 2, results)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 12 and all(model is results[0] for model in results)
    assert pool.local.load_count(path.resolve()) == 1 and len(real_loads) == 1
    asyncio.run(pool.aclose())
    assert pool.local.loaded() == []


def test_unload_frees_the_file_for_everyone_and_the_next_use_loads_it_again(real_loads: list[str]) -> None:
    require_demo_gguf()
    pool = ProviderPool()

    async def scenario() -> tuple[bool, int]:
        first, second = pool.local_provider("a", LOCAL), pool.local_provider("b", LOCAL)
        loaded = await first.load(first.settings_for(MODEL))
        shared = (await second.load(second.settings_for(MODEL))) is loaded
        await second.unload(loaded.settings)
        assert pool.local.loaded() == []
        await first.load(first.settings_for(MODEL))
        await pool.aclose()
        return shared, pool.local.load_count()

    assert asyncio.run(scenario()) == (True, 2)
    assert len(real_loads) == 2


def test_a_workspaces_engines_and_side_by_side_share_its_models(real_loads: list[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.core.app import Comparison, parse_columns
    from console.core.app.compare import CompareParams
    from console.core.resources import DEMO_POLICY, example_policy_path

    demo = example_policy_path(DEMO_POLICY)
    path = require_demo_gguf()
    policy = load_policy_or_raise(demo)
    workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")

    async def scenario() -> list[str]:
        routed = await workspace.engine(policy, demo).route(Request.from_prompt("Hi", max_tokens=4))
        other = await workspace.engine(policy, demo, scope="endpoint").route(Request.from_prompt("Hi", max_tokens=4))
        specs = parse_columns(["smollm2", "smollm2-cpu", str(path)], policy)
        result = await Comparison(workspace, policy, demo, specs, CompareParams(prompt="Hi", max_tokens=4)).run()
        await workspace.aclose()
        return [routed.outcome.value, other.outcome.value] + [c.outcome.value for c in result.columns]

    assert asyncio.run(scenario()) == ["ok"] * 5
    assert len(real_loads) == 1 and workspace.providers.local.load_count() == 1


def test_hosted_providers_are_shared_per_loop_and_closed_by_their_last_user(fault_server: FaultServer) -> None:
    pool = ProviderPool()
    config = schema.Provider(kind=schema.ProviderKind.OPENAI_COMPATIBLE, base_url=fault_server.url)

    async def scenario() -> tuple[bool, bool, int]:
        first = pool.hosted_provider("loopback", config, None)
        second = pool.hosted_provider("loopback", config, None)
        other_key = pool.hosted_provider("loopback", config, "k")
        await pool.release(first)
        still_open = pool.hosted_count() == 2
        listed = await second.list_models()  # type: ignore[attr-defined]
        await pool.release(second)
        await pool.release(other_key)
        return first is second and other_key is not first, still_open and bool(listed), pool.hosted_count()

    assert asyncio.run(scenario()) == (True, True, 0)
    seen: list[object] = []
    for _ in range(2):  # each loop gets its own client: an httpx client belongs to the loop it was made on
        asyncio.run(_take(pool, config, seen))
    assert seen[0] is not seen[1]


async def _take(pool: ProviderPool, config: schema.Provider, seen: list[object]) -> None:
    provider = pool.hosted_provider("loopback", config, None)
    seen.append(provider)
    await pool.release(provider)
