"""Child process for the SIGKILL test: records requests from an asyncio loop as fast as it can
and prints each request id once its durability future has resolved (staged, or committed
when run with ``commit``)."""

from __future__ import annotations

import asyncio
import sys

from console.core.ledger.writer import LedgerWriter

from tests.core.ledger.records_factory import make_record


async def main(url: str, staging: bool) -> None:
    writer = LedgerWriter(url, staging=staging)
    assert (writer.staging is not None) is staging
    out = sys.stdout

    async def caller(worker: int) -> None:
        i = 0
        while True:
            request_id = f"w{worker}-{i}"
            await asyncio.wrap_future(writer.record(make_record(request_id)))
            out.write(request_id + "\n")
            out.flush()
            i += 1

    await asyncio.gather(*(caller(w) for w in range(16)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] == "staging"))
