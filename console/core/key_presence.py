"""Which providers of a policy cannot get their key: a fact a plan explains, read once, off any GUI.

``routedesk explain`` and the editor's Try it show a plan without calling anyone; a model whose
provider has no key would fail at once with ``auth``, so the plan drops it with the reason instead
of saying it "passes every check". Reading the keyring may block (an unlock prompt): callers run
``missing_keys`` in a worker thread and hand its answer to ``plan_route(missing_keys=...)``.
"""

from __future__ import annotations

from typing import Mapping

from console.core.policy.schema import Policy, ProviderKind
from console.core.secrets import KeyNotFound, KeyringStore, KeyStore, NoUsableKeyring, SecretsError, parse_ref, resolve_key


def missing_key_reason(ref: str, store: KeyStore) -> str | None:
    """Why the key ``ref`` names cannot be had (a sentence without the value), or None when it can."""
    try:
        scheme, name = parse_ref(ref)
        resolve_key(ref, store)
    except KeyNotFound:
        if scheme == "env":
            return f"environment variable {name} is not set"
        return f"no keyring entry '{name}' (set it on the Keys page)"
    except NoUsableKeyring:
        return "no usable keyring to read it from"
    except SecretsError as err:
        return str(err)
    return None


def missing_keys(policy: Policy, store: KeyStore | None = None) -> Mapping[str, str]:
    """Provider name → why its key is missing, for each provider of ``policy`` that needs one. Blocking."""
    store = store if store is not None else KeyringStore()
    found: dict[str, str] = {}
    checked: dict[str, str | None] = {}  # one keyring read per reference, however many providers share it
    for name, provider in policy.providers.items():
        if provider.kind is ProviderKind.LOCAL_GGUF or not provider.key:
            continue
        if provider.key not in checked:
            checked[provider.key] = missing_key_reason(provider.key, store)
        reason = checked[provider.key]
        if reason is not None:
            found[name] = f"{provider.key}: {reason}"
    return found
