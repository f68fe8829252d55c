"""``routedesk pilot --from-shadow ROUTE``: grade a route's live shadow pilot, or ``--forget`` what it collected.

The verdict lines are the pilot's own (``pilot.py``), followed by the shadow spend figure. The exit
code follows ``routedesk pilot``: 0 meets the bar, 1 does not, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys


async def shadow_pilot(args: argparse.Namespace, policy, path) -> int:  # type: ignore[no-untyped-def]
    from console.cli.commands.pilot import report_json
    from console.core.app import PilotError, Workspace
    from console.core.app.shadow import forget_shadow_cases, run_shadow_pilot

    route = args.from_shadow
    workspace = Workspace(args.db)
    try:
        if args.forget:
            gone = forget_shadow_cases(workspace, route)
            print(f"deleted {gone} collected shadow case(s) of route '{route}' (prompts and answers); "
                  "graded pilot cells are kept")
            return 0

        def started(run_id: str, cases: int) -> None:
            print(f"shadow pilot {run_id}: {cases} collected cases of route '{route}'", file=sys.stderr)

        graded = await run_shadow_pilot(workspace, policy, path, route, on_start=started)
    except PilotError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        await workspace.aclose()
    outcome = graded.outcome
    if args.json:
        body = report_json(outcome)
        body["shadow_spend"] = {"today_usd": graded.spend.today_usd, "last_30_days_usd": graded.spend.month_usd,
                                "calls_today": graded.spend.calls_today, "cap_usd": graded.cap_usd}
        body["prompts_erased"] = graded.prompts_erased
        print(json.dumps(body, indent=2))
    else:
        for verdict in outcome.verdicts:
            print("\n".join(verdict.lines))
        print(graded.spend_line)
        if graded.prompts_erased:
            print(f"erased the prompt text of {graded.prompts_erased} graded case(s): the pilot needs it no more")
    return 0 if outcome.meets_bar else 1
