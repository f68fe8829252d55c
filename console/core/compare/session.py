"""Provider instances for side-by-side columns, kept for a session so re-runs reuse connections.

Every provider comes from the process's ``ProviderPool`` (a session given none keeps a pool of its
own). Hosted aliases bind like routing does (``routing.binding.bind_model``: the same key lookup
and the same sentence when a key is missing). Every local GGUF column, alias or ad hoc path, goes
to ONE in-process provider keyed by the resolved file, whose models load in the pool's host: a file
an engine already loaded is not loaded again, and columns on the same file share its single
llama.cpp worker (two threads on one model crash llama.cpp), so they run one after
another and the column says so. Different files get different workers and run in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from console.core.compare.columns import ColumnSpec
from console.core.outcomes import Outcome
from console.core.policy.schema import Model, Policy, Provider, ProviderKind
from console.core.pricing import PriceSheet
from console.core.providers.base import ChatProvider
from console.core.providers.pool import ProviderPool
from console.core.secrets import KeyStore

if TYPE_CHECKING:  # imported when a local column is first resolved: hosted-only comparisons never load it
    from console.core.providers.local_gguf import LocalGGUFProvider

LOCAL_PROVIDER = "side-by-side-local"


@dataclass
class ResolvedColumn:
    """A column ready to call: provider, the id it knows the model by, prices, worker.

    ``problem`` is set (``provider`` None) when the column cannot be called at all; it then
    fails with ``problem_outcome`` without any call.
    """

    spec: ColumnSpec
    provider_name: str
    model_id: str
    provider: ChatProvider | None
    prices: PriceSheet
    worker: str | None = None  # the GGUF file whose single worker runs this column
    problem: str | None = None
    problem_outcome: Outcome = Outcome.BAD_REQUEST


def _table_prices(model_id: str) -> PriceSheet:
    from console.core.policy.prices import bundled_price_table, user_price_table

    found = user_price_table().lookup(model_id) or bundled_price_table().lookup(model_id)
    return PriceSheet.from_prices(found)


class CompareSession:
    """Resolves column specs against a policy; owns the provider instances it built."""

    def __init__(self, policy: Policy | None = None, policy_path: str | Path | None = None, *,
                 key_store: KeyStore | None = None, providers: ProviderPool | None = None) -> None:
        self.policy = policy
        self.policy_path = Path(policy_path) if policy_path is not None else None
        self._owns_pool = providers is None
        self.pool = providers if providers is not None else ProviderPool(key_store)
        self._providers: dict[str, ChatProvider] = {}
        self._local: ChatProvider | None = None  # the pool's local-gguf provider, built on first local column
        self._local_files: set[str] = set()

    @property
    def _policy_dir(self) -> Path | None:
        return self.policy_path.parent if self.policy_path is not None else None

    def resolve(self, spec: ColumnSpec) -> ResolvedColumn:
        if spec.alias is not None:
            return self._resolve_alias(spec)
        if spec.kind is ProviderKind.LOCAL_GGUF:
            return self._resolve_local(spec, spec.model_id or "", None)
        return self._resolve_adhoc(spec)

    def _resolve_alias(self, spec: ColumnSpec) -> ResolvedColumn:
        policy = self.policy
        if policy is None or spec.alias not in policy.models:
            return ResolvedColumn(spec, "", spec.alias or "", None, PriceSheet.from_prices(None),
                                  problem=f"no model alias {spec.alias!r} in the policy")
        model = policy.models[spec.alias]
        config = policy.providers.get(model.provider)
        if config is not None and config.kind is ProviderKind.LOCAL_GGUF:
            return self._resolve_local(spec, model.model, model)
        from console.core.policy.prices import effective_prices
        from console.core.routing.binding import bind_model

        binding = bind_model(spec.alias, policy, self._providers, self.pool, self.policy_path)
        prices = PriceSheet.from_prices(effective_prices(policy, spec.alias))
        return ResolvedColumn(spec, binding.provider_name, binding.model_id, binding.provider, prices,
                              problem=binding.problem, problem_outcome=binding.problem_outcome)

    def _resolve_local(self, spec: ColumnSpec, model_ref: str, model: Model | None) -> ResolvedColumn:
        from console.core.providers.local_models import ModelNotFound, resolve_model_path

        try:
            path = str(resolve_model_path(model_ref, policy_dir=self._policy_dir))
        except ModelNotFound as err:
            return ResolvedColumn(spec, LOCAL_PROVIDER, model_ref, None, PriceSheet.from_prices(None), problem=str(err))
        if self._local is None:
            self._local = self.pool.local_provider(LOCAL_PROVIDER, Provider(kind=ProviderKind.LOCAL_GGUF),
                                                   policy_dir=self._policy_dir)
        if path not in self._local_files:
            # The first column on a file sets how it loads; later columns on it share that load.
            settings = Model(provider=LOCAL_PROVIDER, model=path, context_window=model.context_window if model else 2048,
                             gpu_layers=model.gpu_layers if model else 0, threads=model.threads if model else None)
            self._local.configure(settings)  # type: ignore[attr-defined]
            self._local_files.add(path)
        return ResolvedColumn(spec, LOCAL_PROVIDER, path, self._local, PriceSheet.from_prices(None), worker=path)

    def _resolve_adhoc(self, spec: ColumnSpec) -> ResolvedColumn:
        kind = spec.kind or ProviderKind.OPENAI_COMPATIBLE
        name = f"adhoc:{kind.value}:{spec.base_url}"
        provider = self._providers.get(name)
        if provider is None:
            key = None
            if spec.key:
                try:
                    key = self.pool.read_key(spec.key)
                except Exception as err:  # a locked keyring is this column's problem only
                    return ResolvedColumn(spec, name, spec.model_id or "", None, _table_prices(spec.model_id or ""),
                                          problem=f"cannot read the key {spec.key}: {err}", problem_outcome=Outcome.AUTH)
            provider = self.pool.hosted_provider(name, Provider(kind=kind, base_url=spec.base_url, key=spec.key), key)
            self._providers[name] = provider
        return ResolvedColumn(spec, name, spec.model_id or "", provider, _table_prices(spec.model_id or ""))

    async def aclose(self) -> None:
        """Give the providers back to the pool; a session with a pool of its own closes it (and its models)."""
        providers = list(self._providers.values())
        self._providers, self._local, self._local_files = {}, None, set()
        for provider in providers:
            await self.pool.release(provider)
        if self._owns_pool:
            await self.pool.aclose()
