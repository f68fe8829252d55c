"""A separate process that advances one rollout as fast as it can (for the compare-and-set stress test).

    python -m tests.core.rollout.advance_child URL ROUNDS
Prints how many of its advances went through.
"""

from __future__ import annotations

import sys

from console.core.ledger.store import open_ledger
from console.core.rollout.state import RolloutConflict, RolloutError, advance, read_state


def main(url: str, rounds: int) -> int:
    db = open_ledger(url)
    won = 0
    for _ in range(rounds):
        seen = read_state(db, "p", "chat")
        assert seen is not None
        try:
            advance(db, seen, by="stress")
            won += 1
        except RolloutConflict:
            pass
        except RolloutError:  # the last step reached
            break
    db.dispose()
    print(won)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
