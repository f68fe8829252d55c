"""Resolve a model alias to a callable provider: provider instance (shared per provider), key, model id.

Keys are looked up when a provider is first used and handed to the provider object only; a missing
key makes the attempt fail with ``auth`` and a sentence saying how to set it, without a network call.
"""

from __future__ import annotations

from pathlib import Path

from console.core.policy.schema import Policy, ProviderKind
from console.core.providers.base import ChatProvider
from console.core.providers.pool import ProviderPool
from console.core.routing.execute import Binding


def bind_model(
    alias: str,
    policy: Policy,
    providers: dict[str, ChatProvider],
    pool: ProviderPool,
    policy_path: Path | None,
) -> Binding:
    """Bind ``alias``; a provider not yet in ``providers`` is taken from ``pool`` and kept there.

    The caller gives the hosted ones back to the pool (``pool.release``) when it is done with them.
    """
    model = policy.models[alias]
    name = model.provider
    config = policy.providers[name]
    model_id = model.model
    if config.kind is ProviderKind.LOCAL_GGUF and name not in providers:
        local = pool.local_provider(name, config, policy_dir=policy_path.parent if policy_path else None)
        for other in policy.models.values():
            if other.provider == name:
                local.configure(other)
        providers[name] = local
    provider = providers.get(name)
    if provider is None:
        key = None
        if config.key:
            try:
                key = pool.read_key(config.key)
            except Exception as err:
                return Binding(alias, name, model_id, None, f"cannot read the key for provider '{name}': {err}")
            if not key:
                hint = (
                    f"set it with `routedesk keys set {name}`"
                    if config.key.startswith("keyring:")
                    else f"set the environment variable {config.key.split(':', 1)[1]}"
                )
                return Binding(alias, name, model_id, None, f"no key for provider '{name}' ({config.key}): {hint}")
        provider = pool.hosted_provider(name, config, key)
        providers[name] = provider
    return Binding(alias, name, model_id, provider)
