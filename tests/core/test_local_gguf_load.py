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
