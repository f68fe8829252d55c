"""The application API: the use cases every front end (CLI, window, endpoint) calls, over one Workspace.

Each use case is written once, here, in a module named for it:

    routing   route through ``workspace.engine(policy, path)``; ``explain`` without calling anyone
    pilot     run or resume a pilot (one run id formula, one stored source)
    shadow    grade a route's live shadow pilot (`pilot --from-shadow`), its spend, forgetting what it collected
    compare   side by side; save, list, reload comparisons; export them
    keys      a key's status, which providers lack one (for plans), and a cheap call that proves it works
    models    read, load, unload and try local GGUF files in the process's one pool
    log       open the routing log to read (``routedesk log``/``report``, the dashboards)
    history   import a history file for pilots
    traffic   demo traffic with known totals
    replay    what-if replay of a draft over logged traffic; the assessment of where the money goes
    rollout   staged rollouts: status and guardrails, advance, roll back (imported as console.core.app.rollout)
    export    a LiteLLM config for team scale
    team      the team gateway's API keys and published policy (imported as console.core.app.team)

Front ends import this package, the policy schema and loader, and the plain result types; the
import-linter contracts in pyproject.toml keep them out of providers, routing internals and the
ledger's write side.
"""

from __future__ import annotations

from console.core.app.compare import Comparison, parse_columns
from console.core.app.history import import_history_file
from console.core.app.keys import KeyTestFailed, key_status, missing_keys, verify_key
from console.core.app.log import LogError, open_log, read_error_message, watch_log_health
from console.core.app.models import LocalModels
from console.core.app.pilot import PilotError, PilotOutcome, PilotSetupRequest, PilotSource, pilot_run_id, run_pilot
from console.core.app.replay import replay_policy
from console.core.app.routing import Engine, Request, RouteResult, explain
from console.core.app.traffic import write_demo_traffic
from console.core.workspace import Workspace

__all__ = [
    "Comparison", "Engine", "KeyTestFailed", "LocalModels", "LogError", "PilotError", "PilotOutcome",
    "PilotSetupRequest", "PilotSource", "Request", "RouteResult", "Workspace", "explain", "import_history_file",
    "key_status", "missing_keys", "open_log", "parse_columns", "pilot_run_id", "read_error_message", "replay_policy",
    "run_pilot", "verify_key", "watch_log_health", "write_demo_traffic",
]
