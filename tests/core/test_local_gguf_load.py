"""Loading a local model: a caller that gives up does not take the load down with it."""

from __future__ import annotations

import asyncio

from console.core.policy import schema
from console.core.providers.local_gguf import LocalGGUFProvider
from tests.support.parts import require_demo_gguf

MODEL = "bundled:smollm2-135m"


def test_a_cancelled_loader_leaves_the_load_to_finish_for_the_others() -> None:
    require_demo_gguf()
    local = LocalGGUFProvider("local", schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF))
    local.configure(schema.Model(provider="local", model=MODEL, context_window=256, threads=2))

    async def scenario() -> bool:
        settings = local.settings_for(MODEL)
        impatient = asyncio.ensure_future(local.load(settings))
        patient = asyncio.ensure_future(local.load(settings))
        await asyncio.sleep(0)  # both are waiting on the one load
        impatient.cancel()
        model = await patient  # not cancelled with the impatient caller
        again = await local.load(settings)  # and kept: no second load
        await local.aclose()
        return impatient.cancelled() and model is again

    assert asyncio.run(scenario())


def test_the_header_is_read_once_per_file_version() -> None:
    require_demo_gguf()
    local = LocalGGUFProvider("local", schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF))
    first = local.settings_for(MODEL)
    assert local.settings_for(MODEL) == first
    assert len(local._headers) == 1  # the ~80 ms header check is not repeated on every request


def test_concurrent_loads_leave_stdout_and_stderr_where_they_were() -> None:
    # llama.cpp's quiet mode points fds 1 and 2 at /dev/null while it loads and puts them back
    # after; two loads at once used to restore each other's /dev/null, silencing the process.
    require_demo_gguf()
    import os

    def where() -> list[tuple[int, int]]:
        return [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)]

    before = where()

    async def two_at_once() -> None:
        providers = [LocalGGUFProvider(f"local{i}", schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF))
                     for i in range(2)]
        for provider in providers:
            provider.configure(schema.Model(provider="local", model=MODEL, context_window=256, threads=1))
        await asyncio.gather(*(p.load(p.settings_for(MODEL)) for p in providers))
        for provider in providers:
            await provider.aclose()

    for _ in range(3):
        asyncio.run(two_at_once())
        assert where() == before


def test_layers_on_the_gpu_are_read_from_what_llama_cpp_did() -> None:
    from console.core.providers.local_gguf_model import layer_devices

    # a CUDA build asked for 20 of 31 layers, in llama.cpp's own words
    cuda_log = "".join(
        f"load_tensors: layer {n:3d} assigned to device {'CUDA0' if n >= 11 else 'CPU'}, is_swa = 0\n" for n in range(31)
    )
    placement = layer_devices("load_tensors: loading model tensors\n" + cuda_log)
    assert len(placement) == 31 and sum(d == "CUDA0" for d in placement.values()) == 20

    require_demo_gguf()  # this CPU build: every one of SmolLM2's 31 layers on the CPU, even when all were asked for

    async def load() -> tuple[int, int]:
        local = LocalGGUFProvider("local", schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF))
        local.configure(schema.Model(provider="local", model=MODEL, context_window=256, threads=1, gpu_layers="all"))
        model = await local.load(local.settings_for(MODEL))
        counts = (model.layers_offloaded, model.layers_total)
        assert model.devices == {"CPU": 31}  # read from llama.cpp's load log, not inferred
        info = local.info().detail
        await local.aclose()
        assert any("layers on GPU 0 of 31" in str(v) for v in info.values()), info
        return counts

    assert asyncio.run(load()) == (0, 31)
