"""A quarter of demo history for the review to read: ``routedesk review --demo``.

Ninety days of seeded traffic under two saved versions of the demo policy (the second, 45 days
ago, sends support to gemini-flash first after a pilot said it holds up, and asks support for a
p95 under 2.5 s), gemini-flash failing half its summaries in the last three days, the code route
in a staged rollout to gpt-large for the last 20 days (10%, then 50%), a catalogue price cut on gpt-4.1-mini 30 days ago (attempts after it charged the
new price, the change in the price history), and the review before this one 91 days ago. It
writes into a folder of its own (log, versions, price history, schedule), never the user's data.
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from console.core.records import RequestRecord

if TYPE_CHECKING:
    from console.core.ledger.traffic import TrafficTotals

DAY = 86400.0
POLICY_NAME = "demo"
OLD_MINI, NEW_MINI = (0.4, 1.6, 0.1), (0.35, 1.4, 0.0875)
BUDGETS = ("budgets:\n  - name: monthly\n    period: month\n    limit_usd: 12\n"
           "  - name: code daily\n    scope:\n      task: code\n    period: day\n    limit_usd: 0.2\n")


@dataclass(frozen=True)
class ReviewDemo:
    folder: Path  # the data directory the review reads (versions, price history, schedule)
    url: str  # the log
    policy_file: Path  # the newest version, as a file
    now: float


def policy_texts(demo_text: str) -> tuple[str, str]:
    """The two versions: the demo policy with budgets, then support re-routed with a latency target."""
    first = demo_text.rstrip("\n") + "\n" + BUDGETS
    second = first.replace("  support:\n    candidates:\n      - gpt-mini\n      - claude\n      - gpt-large\n",
                           "  support:\n    candidates:\n      - gemini-flash\n      - gpt-mini\n      - claude\n"
                           "    latency:\n      p95_ms: 2500\n")
    assert second != first, "the demo policy's support route changed shape"
    return first, second


def _repriced(records: Iterator[RequestRecord], after: float) -> Iterator[RequestRecord]:
    """gpt-mini's attempts after the price cut, charged at the new price (as the engine would have)."""
    from console.core.pricing import PriceSheet, cost_usd

    sheet = PriceSheet(NEW_MINI[0], NEW_MINI[1], NEW_MINI[2], NEW_MINI[1])
    for record in records:
        if record.started_at.timestamp() >= after:
            for attempt in record.attempts:
                if attempt.model_alias == "gpt-mini":
                    new = cost_usd(sheet, input_tokens=attempt.input_tokens, output_tokens=attempt.output_tokens,
                                   cached_tokens=attempt.cached_tokens, reasoning_tokens=attempt.reasoning_tokens)
                    record.total_cost_usd += new - attempt.cost_usd
                    attempt.cost_usd = new
                    attempt.price_input, attempt.price_output = sheet.input, sheet.output
                    attempt.price_cached_input, attempt.price_reasoning = sheet.cached_input, sheet.reasoning
        yield record


ROLLOUT_SALT = b"demo/code/gpt-large"


def _rollout_arms(records: Iterator[RequestRecord], started: float, advanced: float,
                  arms: list[dict[str, object]]) -> Iterator[RequestRecord]:
    """The code route in rollout from ``started``: 10% of its requests on gpt-large in claude's place,
    50% from ``advanced``. A request on the candidate's arm is answered by gpt-large (priced as such);
    every request of the route gets its ``rollout_arm`` row in ``arms``, as the engine writes them."""
    from console.core.pricing import PriceSheet, cost_usd
    from console.core.rollout.split import CANDIDATE, arm_of

    large = PriceSheet(2.0, 8.0, 0.5, 8.0)
    for record in records:
        ts = record.started_at.timestamp()
        if record.task == "code" and ts >= started:
            arm = arm_of(ROLLOUT_SALT, record.request_id, 10.0 if ts < advanced else 50.0)
            if arm == CANDIDATE:
                for attempt in record.attempts:
                    if attempt.model_alias == "claude":
                        attempt.model_alias, attempt.provider, attempt.provider_model_id = "gpt-large", "openai", "gpt-4.1"
                        attempt.cost_usd = cost_usd(large, input_tokens=attempt.input_tokens,
                                                    output_tokens=attempt.output_tokens,
                                                    cached_tokens=attempt.cached_tokens,
                                                    reasoning_tokens=attempt.reasoning_tokens)
                        attempt.price_input, attempt.price_output = large.input, large.output
                        attempt.price_cached_input, attempt.price_reasoning = large.cached_input, large.reasoning
                        if attempt.answered_model_id:
                            attempt.answered_model_id = "gpt-4.1"
                record.total_cost_usd = sum(a.cost_usd for a in record.attempts)
                if record.answered_by == "claude":
                    record.answered_by = "gpt-large"
            arms.append({"request_id": record.request_id, "ts": ts, "policy_name": record.policy_name,
                         "route": "code", "arm": arm, "ok": int(record.answered_by is not None),
                         "latency_ms": record.total_latency_ms, "cost_usd": record.total_cost_usd})
        yield record


def _rollout_state(db: object, arms: list[dict[str, object]], started: float, advanced: float) -> None:
    from sqlalchemy import insert

    from console.core.ledger.rollouts import rollout_tables
    from console.core.policy.rollout_schema import Rollout
    from console.core.rollout.state import advance, start

    arm_table = rollout_tables()[2]
    with db.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(arm_table), arms)
    state = start(db, POLICY_NAME, "code", Rollout(candidate="gpt-large", replaces="claude", steps=[10, 50, 100]),  # type: ignore[arg-type]
                  by="cli", now=started)
    advance(db, state, by="cli", now=advanced)  # type: ignore[arg-type]


def _pilot(db: object, at: float) -> None:
    """A finished pilot of gemini-flash against gpt-mini on support, 50 days ago: 40 cases."""
    from sqlalchemy import update

    from console.core.ledger.pilots import PilotRunRow
    from console.core.pilot.cells import Cell
    from console.core.pilot.store import PilotSetup, save_cells, set_status, start_or_resume

    bar = {"name": "support", "judge": {"model": "gpt-mini", "against": "baseline"},
           "rule": {"relative_to_baseline": 0.9}}
    setup = PilotSetup("support-gemini-flash", "support", "gpt-mini", ("gemini-flash",), json.dumps(bar),
                       {"kind": "log", "since": "30d"}, "support on gemini-flash")
    start_or_resume(db, setup)  # type: ignore[arg-type]
    cells = []
    for n in range(40):
        case = f"case-{n:02d}"
        cells.append(Cell(case, "gpt-mini", n not in (7, 23), cost_usd=0.00062, latency_ms=880 + 9 * n))
        cells.append(Cell(case, "gemini-flash", n not in (7, 23, 31), cost_usd=0.00041, latency_ms=690 + 8 * n))
    save_cells(db, setup.run_id, cells)  # type: ignore[arg-type]
    set_status(db, setup.run_id, "finished")  # type: ignore[arg-type]
    with db.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(PilotRunRow.__table__).where(  # type: ignore[attr-defined]
            PilotRunRow.__table__.c.run_id == setup.run_id).values(ts=at))  # type: ignore[attr-defined]


def write_review_demo(folder: Path, demo_policy_text: str, *, requests: int = 20_000,
                      now: float | None = None, totals: "TrafficTotals | None" = None) -> ReviewDemo:
    """Write the demo into ``folder``; ``totals`` (optional) counts what was generated, before the price cut."""
    from console.core.app.log import open_log_for_writing
    from console.core.ledger.bulk import write_records
    from console.core.ledger.traffic import generate
    from console.core.policy.loader import load_policy_text
    from console.core.policy.price_history import append_changes
    from console.core.policy.price_import import PriceChange
    from console.core.policy.save import policy_hash
    from console.core.policy.schema import Prices
    from console.core.policy.versions import keep_version
    from console.core.review.schedule import mark_reviewed

    now = time.time() if now is None else now
    folder.mkdir(parents=True, exist_ok=True)
    first, second = policy_texts(demo_policy_text)
    hashes = []
    policy_file = folder / "demo-review.yaml"
    for text, days_ago in ((first, 89.9), (second, 45)):
        policy = load_policy_text(text).policy
        assert policy is not None, "the demo policy versions must be valid"
        hashes.append(policy_hash(policy))
        when = datetime.datetime.fromtimestamp(now - days_ago * DAY, tz=datetime.timezone.utc)
        keep_version(text, policy_file, root=folder / "policy-versions", now=when)
    policy_file.write_text(second, encoding="utf-8")
    url = f"sqlite:///{folder / 'demo-log.sqlite3'}"
    db = open_log_for_writing(url)
    try:
        half = requests // 2
        write_records(db, generate(half, days=44.5, end=now - 45 * DAY, seed=11, policy=(POLICY_NAME, hashes[0]),
                                    totals=totals))
        later = generate(requests - half, days=45, end=now, seed=12, policy=(POLICY_NAME, hashes[1]),
                         chains={"support": ("gemini-flash", "gpt-mini", "claude")},
                         spike=("summarize", "gemini-flash"), spike_hours=72, totals=totals)
        arms: list[dict[str, object]] = []
        started, advanced = now - 20 * DAY, now - 10 * DAY
        write_records(db, _rollout_arms(_repriced(later, now - 30 * DAY), started, advanced, arms))
        _rollout_state(db, arms, started, advanced)
        _pilot(db, now - 50 * DAY)
    finally:
        db.dispose()
    cut = datetime.datetime.fromtimestamp(now - 30 * DAY, tz=datetime.timezone.utc).date()
    append_changes([PriceChange("gpt-4.1-mini", Prices(input=OLD_MINI[0], output=OLD_MINI[1], cached_input=OLD_MINI[2]),
                                Prices(input=NEW_MINI[0], output=NEW_MINI[1], cached_input=NEW_MINI[2]))],
                   as_of=cut, source="litellm", folder=folder)
    last = datetime.datetime.fromtimestamp(now - 91 * DAY, tz=datetime.timezone.utc).date()
    mark_reviewed(POLICY_NAME, on=last, root=folder)
    return ReviewDemo(folder, url, policy_file, now)
