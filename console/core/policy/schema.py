"""The routing policy as pydantic models: the one object the editor edits and the Engine routes by.

The YAML file mirrors these models key for key. Every model forbids unknown keys so a typo is an
error with a location, never a silently ignored setting. Cross-references (a route naming a model
the policy lacks, loops in fallback chains, ...) are checked in ``checks.py``, not here, so that
one load can report every problem at once.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.core.outcomes import Outcome
from console.core.policy.rollout_schema import Rollout

SCHEMA_VERSION = 1


class Strict(BaseModel):
    """Base for every policy node: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ProviderKind(str, Enum):
    OPENAI_COMPATIBLE = "openai-compatible"
    ANTHROPIC = "anthropic"
    GEMINI = "gemini"
    LOCAL_GGUF = "local-gguf"


class Provider(Strict):
    """Where a family of models is reached and where its key lives (never the key itself)."""

    kind: ProviderKind
    base_url: str | None = None
    key: str | None = Field(
        default=None,
        description="'keyring:NAME' or 'env:VAR'; omit for providers that need no key",
        pattern=r"^(keyring|env):[A-Za-z0-9_.\-]+$",
    )
    headers: dict[str, str] = Field(default_factory=dict)
    proxy: str | None = Field(
        default=None,
        description="the HTTP proxy to reach it through, 'http://host:port', or 'direct' for none; omit to use "
        "HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment (credentials belong there, not in the policy)",
        pattern=r"^(direct|https?://[^@/\s]+(:[0-9]+)?/?)$",
    )
    prefill: bool | None = Field(
        default=None,
        description="whether its models continue a trailing assistant message (used to continue a "
        "broken stream); omit for the protocol's default (see routing/continuation.py)",
    )
    notes: str | None = None


class Prices(Strict):
    """US dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    reasoning: float | None = Field(default=None, ge=0, description="defaults to the output price")


class Model(Strict):
    """A model alias: what the routes name."""

    provider: str
    model: str = Field(description="the provider's own model id, or a GGUF path for local-gguf")
    prices: Prices | None = Field(default=None, description="omit to use resources/prices.yaml")
    context_window: int = Field(default=8192, gt=0)
    region: str = Field(default="global", description="e.g. us, eu, global, on-prem")
    tags: list[str] = Field(default_factory=list)
    # local-gguf settings; ignored by hosted providers
    gpu_layers: Union[int, Literal["all"]] = 0
    threads: int | None = Field(default=None, gt=0)
    prefill: bool | None = Field(default=None, description="overrides the provider's prefill setting")
    tools: bool | None = Field(
        default=None, description="whether it can call tools; omit for the protocol's default (hosted: yes, GGUF: no; a "
        "ChatML-templated GGUF model such as SmolLM2 may be marked yes, see providers/local_gguf_tools.py)")
    vision: bool = Field(default=False, description="whether it reads images: only such models are sent image parts")
    notes: str | None = None


# --- classification -------------------------------------------------------------------------


class TokenRange(Strict):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Condition(Strict):
    """One test over a request. Exactly one key is set; all/any/not combine other conditions."""

    keywords: list[str] | None = None
    regex: str | None = None
    tokens: TokenRange | None = None
    meta: dict[str, Union[str, list[str]]] | None = None
    all: list["Condition"] | None = None
    any: list["Condition"] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)


class Rule(Strict):
    task: str
    when: Condition
    name: str | None = None
    notes: str | None = None


class ModelClassifier(Strict):
    """Ask a small (usually local) model to choose a task label, constrained to the label set."""

    model: str
    instructions: str | None = None
    min_probability: float = Field(default=0.0, ge=0, le=1)
    timeout_s: float = Field(default=10.0, gt=0, description="past this the rules decide instead")


class Classification(Strict):
    method: Literal["rules", "model"] = "rules"
    default: str
    honour_task_hint: bool = Field(default=True, description="a request's task hint naming a known task wins")
    rules: list[Rule] = Field(default_factory=list)
    model: ModelClassifier | None = None
    notes: str | None = None


class Task(Strict):
    description: str | None = None
    notes: str | None = None


# --- routes ---------------------------------------------------------------------------------

DEFAULT_FALLBACK_ON: tuple[Outcome, ...] = (
    Outcome.RATE_LIMITED,
    Outcome.UNAVAILABLE,
    Outcome.SERVER_ERROR,
    Outcome.TIMEOUT,
    Outcome.FIRST_TOKEN_TIMEOUT,
    Outcome.STREAM_CUT,
    Outcome.INVALID_OUTPUT,
    Outcome.EMPTY_OUTPUT,
    Outcome.LOW_CONFIDENCE,
    Outcome.CONTEXT_OVERFLOW,
    Outcome.AUTH,
)


class Latency(Strict):
    p95_ms: float | None = Field(default=None, gt=0)
    ttft_ms: float | None = Field(default=None, gt=0)


class Timeouts(Strict):
    connect_s: float = Field(default=5.0, gt=0)
    first_token_s: float = Field(
        default=20.0, gt=0,
        description="the first-token deadline for a model with no measured history (or when adaptive deadlines are off)")
    idle_s: float = Field(default=15.0, gt=0, description="longest silence allowed between chunks")
    total_s: float = Field(default=120.0, gt=0)


class FirstTokenDeadline(Strict):
    """Each model's first-token deadline from its measured time to first token (routing/deadlines.py).

    A chat model that usually starts in half a second is cut after a few seconds; a reasoning model
    that usually thinks for a minute is given a few minutes. Without enough history the route's
    ``timeouts.first_token_s`` applies.
    """

    adaptive: bool = Field(default=True, description="false: every model gets the route's first_token_s")
    p95_multiple: float = Field(default=3.0, ge=1, description="the deadline is this many times the model's p95")
    floor_s: float = Field(default=2.0, gt=0, description="never shorter than this")
    ceiling_s: float = Field(default=180.0, gt=0, description="never longer than this")
    min_samples: int = Field(default=20, ge=1, description="streamed answers needed before the history is trusted")

    @model_validator(mode="after")
    def _floor_under_ceiling(self) -> "FirstTokenDeadline":
        if self.floor_s > self.ceiling_s:
            raise ValueError(f"floor_s ({self.floor_s:g}) is above ceiling_s ({self.ceiling_s:g})")
        return self


class Retries(Strict):
    max: int = Field(default=1, ge=0, le=10)
    backoff_ms: float = Field(
        default=250, gt=0, description="first wait before a retry (doubled each time, jittered); 0 would retry at once and hammer a failing provider"
    )
    max_backoff_ms: float = Field(default=4000, gt=0)


class OutputCheck(Strict):
    json_: bool = Field(default=False, alias="json")
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)


class Confidence(Strict):
    min_mean_logprob: float | None = Field(default=None, le=0)
    validator_regex: str | None = Field(default=None, description="an answer not matching this is low confidence")
    escalate_to: str | None = Field(default=None, description="task whose route runs when every candidate is unsure")


class Shadow(Strict):
    """A live pilot on the route: a sampled share of its answered requests is also sent to ``model``
    in the background (never returned, never delaying the answer); see ``console/core/shadow``."""

    model: str = Field(description="the candidate model alias that gets a copy of sampled requests")
    sample: float = Field(gt=0, le=1, description="share of the route's requests shadowed, e.g. 0.05")
    max_usd_per_day: float = Field(gt=0, description="shadowing stops for the UTC day once it has spent this")
    bar: str = Field(description="the quality bar file (YAML/JSON), relative to the policy file")
    timeout_s: float = Field(default=60.0, gt=0, description="a shadow call still running after this is cut")
    max_in_flight: int = Field(default=4, ge=1, le=64, description="shadow calls at once; past it, requests are not shadowed")


class RouterRef(Strict):
    """A learned router (``routedesk router train``) ordering the route's candidates per prompt."""

    file: str = Field(description="the .router file; a bare name is looked up in the data directory's routers folder")
    target: float = Field(default=0.95, gt=0, le=1,
                          description="share of the strongest model's pass rate to keep, at the lowest cost")


class Route(Strict):
    candidates: list[str]
    router: RouterRef | None = Field(default=None, description="order candidates per prompt by a learned router")
    max_cost_usd: float | None = Field(default=None, ge=0, description="ceiling per request at estimated tokens")
    max_output_tokens: int = Field(default=512, gt=0)
    latency: Latency = Field(default_factory=Latency)
    regions: list[str] | None = Field(default=None, description="allowed model regions; omit for any")
    on_prem_only: bool = False
    require_tags: list[str] = Field(default_factory=list)
    fallback_on: list[Outcome] = Field(default_factory=lambda: list(DEFAULT_FALLBACK_ON))
    retries: Retries = Field(default_factory=Retries)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    first_token_deadline: FirstTokenDeadline | None = Field(
        default=None, description="this route's own adaptive first-token settings; omit for the policy's")
    output: OutputCheck = Field(default_factory=OutputCheck)
    confidence: Confidence = Field(default_factory=Confidence)
    rollout: Rollout | None = Field(default=None, description="shift the route to another model in steps (rollout_schema.py)")
    shadow: Shadow | None = Field(default=None, description="a cheaper model piloted on live traffic")
    notes: str | None = None


# --- budgets and residency ------------------------------------------------------------------


class BudgetScope(Strict):
    task: str | None = None
    team: str | None = None
    provider: str | None = None
    model: str | None = None


class Budget(Strict):
    name: str
    scope: BudgetScope = Field(default_factory=BudgetScope)
    period: Literal["day", "month"] = "day"
    limit_usd: float = Field(gt=0)
    action: Literal["fallback", "block", "warn"] = "warn"
    fallback_model: str | None = None
    notes: str | None = None


class ResidencyRule(Strict):
    """Requests whose metadata names this region may only use models in ``allow``."""

    allow: list[str]
    notes: str | None = None


class Circuit(Strict):
    """Circuit breaker settings shared by every model of the policy."""

    failures: int = Field(default=5, ge=1, description="failures within window_s that open the circuit")
    window_s: float = Field(default=60.0, gt=0)
    cooldown_s: float = Field(default=10.0, gt=0, description="first wait before a half-open probe")
    cooldown_multiplier: float = Field(
        default=1.6, ge=1, description="the cooldown grows by this after each failed probe (gRPC's backoff uses 1.6)")
    max_cooldown_s: float = Field(
        default=30.0, gt=0,
        description="the longest wait between probes: a recovered model gets traffic back within this")


class Policy(Strict):
    version: int = SCHEMA_VERSION
    name: str
    description: str | None = None
    notes: str | None = None
    providers: dict[str, Provider]
    models: dict[str, Model]
    tasks: dict[str, Task]
    classification: Classification
    routes: dict[str, Route]
    budgets: list[Budget] = Field(default_factory=list)
    residency: dict[str, ResidencyRule] = Field(default_factory=dict)
    circuit: Circuit = Field(default_factory=Circuit)
    first_token_deadline: FirstTokenDeadline = Field(default_factory=FirstTokenDeadline)

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(f"policy version {value} is newer than this Routedesk understands ({SCHEMA_VERSION})")
        if value < 1:
            raise ValueError("policy version must be 1 or more")
        return value

    def allowed_regions_for(self, request_region: str) -> list[str]:
        """Model regions a request tagged with ``request_region`` may use (strict when unlisted)."""
        rule = self.residency.get(request_region)
        return list(rule.allow) if rule else [request_region, "on-prem"]


Condition.model_rebuild()
