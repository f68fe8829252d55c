"""Resolve a model alias to a callable provider: provider instance (shared per provider), key, model id.

Keys are looked up when a provider is first used and handed to the provider object only; a missing
key makes the attempt fail with ``auth`` and a sentence saying how to set it, without a network call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from console.core.policy.schema import Policy, ProviderKind
from console.core.providers.base import ChatProvider
from console.core.routing.execute import Binding
from console.core.secrets import KeyStore


def _default_factory(name: str, config: object, key: str | None) -> ChatProvider:
    from console.core.providers.registry import build_provider

    return build_provider(name, config, key)  # type: ignore[arg-type]


def bind_model(
    alias: str,
    policy: Policy,
    providers: dict[str, ChatProvider],
    key_store: KeyStore | None,
    factory: Callable[[str, object, "str | None"], ChatProvider] | None,
    policy_path: Path | None,
) -> Binding:
    model = policy.models[alias]
    name = model.provider
    config = policy.providers[name]
    model_id = model.model
    if config.kind is ProviderKind.LOCAL_GGUF and name not in providers:
        from console.core.providers.local_gguf import LocalGGUFProvider

        local = LocalGGUFProvider(name, config, policy_dir=policy_path.parent if policy_path else None)
        for other in policy.models.values():
            if other.provider == name:
                local.configure(other)
        providers[name] = local
    provider = providers.get(name)
    if provider is None:
        key = None
        if config.key:
            from console.core.secrets import KeyringStore, resolve_key

            try:
                key = resolve_key(config.key, key_store if key_store is not None else KeyringStore())
            except Exception as err:
                return Binding(alias, name, model_id, None, f"cannot read the key for provider '{name}': {err}")
            if not key:
                hint = (
                    f"set it with `routedesk keys set {name}`"
                    if config.key.startswith("keyring:")
                    else f"set the environment variable {config.key.split(':', 1)[1]}"
                )
                return Binding(alias, name, model_id, None, f"no key for provider '{name}' ({config.key}): {hint}")
        provider = (factory or _default_factory)(name, config, key)
        providers[name] = provider
    return Binding(alias, name, model_id, provider)
