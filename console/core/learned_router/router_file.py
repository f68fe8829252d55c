"""A trained router on disk (``NAME.router``) and in memory: the learner, the models, the calibration.

The file is a numpy ``.npz`` archive read with ``allow_pickle=False`` (loading a router never runs
code from it): the learner's arrays, the feature scaling, digests of the prompts it was trained and
tested on, and one JSON text with everything else. Bare names live in the data directory's
``routers`` folder, so a policy can say ``router: {file: gsm8k.router}`` wherever it is served from.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from console.core.learned_router.features import EMBEDDER_NAME, prompt_features
from console.core.learned_router.learners import FeatureScaler, Learner

if TYPE_CHECKING:
    from numpy.typing import NDArray

FORMAT = 1


class RouterFileError(ValueError):
    """The router file is missing, unreadable or of another format; the message names the file."""


@dataclass
class Calibration:
    """Measured on prompts the learner did not train on: each operating point's pass rate over the
    strongest model's, and its cost per 1,000 requests."""

    lams: list[float]
    pass_ratio: list[float]
    cost_per_1k: list[float]

    def lam_for(self, target: float) -> tuple[float, bool]:
        """The cheapest operating point reaching ``target``, and whether any does (else the most accurate one)."""
        meeting = [i for i, r in enumerate(self.pass_ratio) if r >= target - 1e-12]
        if meeting:
            best = min(meeting, key=lambda i: (self.cost_per_1k[i], -self.lams[i]))
            return self.lams[best], True
        if not self.lams:
            return 0.0, False
        best = max(range(len(self.lams)), key=lambda i: (self.pass_ratio[i], -self.cost_per_1k[i]))
        return self.lams[best], False


@dataclass
class TrainedRouter:
    models: tuple[str, ...]
    rel_cost: NDArray[np.float64]
    learner: Learner
    scaler: FeatureScaler
    calibration: Calibration
    info: dict[str, Any]
    train_keys: frozenset[str] = frozenset()
    test_keys: frozenset[str] = frozenset()

    def predict(self, prompts: Sequence[str]) -> NDArray[np.float64]:
        """P(pass) per prompt (rows) and model (columns)."""
        emb, cheap = prompt_features(prompts)
        return self.learner.predict(self.scaler.design(emb, cheap), emb)


def resolve(name: str | Path) -> Path:
    """Where a router named in a policy or on the command line lives."""
    path = Path(name).expanduser()
    if path.is_absolute() or path.exists() or len(path.parts) > 1:
        return path
    from console.core.paths import data_dir

    return data_dir() / "routers" / path


def save(router: TrainedRouter, path: Path) -> Path:
    meta = dict(router.info, format=FORMAT, embedder=EMBEDDER_NAME, models=list(router.models),
                rel_cost=[float(c) for c in router.rel_cost],
                learner={"kind": router.learner.kind, "param": router.learner.param},
                calibration={"lams": router.calibration.lams, "pass_ratio": router.calibration.pass_ratio,
                             "cost_per_1k": router.calibration.cost_per_1k})
    arrays = {f"learner.{k}": v for k, v in router.learner.arrays.items()}
    arrays.update({"scaler.mean": router.scaler.mean, "scaler.scale": router.scaler.scale,
                   "scaler.basis": router.scaler.basis, "scaler.centre": router.scaler.centre,
                   "train_keys": np.array(sorted(router.train_keys), dtype="S16"),
                   "test_keys": np.array(sorted(router.test_keys), dtype="S16"),
                   "meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:  # a crash mid-write leaves the old router, never half a new one
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
    partial.replace(path)
    return path


def load(path: Path) -> TrainedRouter:
    if not path.is_file():
        raise RouterFileError(f"{path}: no such router file")
    try:
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:  # our handle: closed on error
            data = {k: archive[k] for k in archive.files}
        meta = json.loads(bytes(data.pop("meta")).decode())
        if meta.get("format") != FORMAT or meta.get("embedder") != EMBEDDER_NAME:
            raise RouterFileError(f"{path}: router format {meta.get('format')} / embedder {meta.get('embedder')}; "
                                  f"this Routedesk reads format {FORMAT} with {EMBEDDER_NAME}: train it again")
        learner = Learner(meta["learner"]["kind"], float(meta["learner"]["param"]),
                          {k[8:]: v for k, v in data.items() if k.startswith("learner.")})
        cal = meta["calibration"]
        return TrainedRouter(
            tuple(meta["models"]), np.asarray(meta["rel_cost"], dtype=np.float64), learner,
            FeatureScaler(data["scaler.mean"], data["scaler.scale"], data["scaler.basis"], data["scaler.centre"]),
            Calibration([float(x) for x in cal["lams"]], [float(x) for x in cal["pass_ratio"]],
                        [float(x) for x in cal["cost_per_1k"]]),
            {k: v for k, v in meta.items() if k not in ("learner", "calibration", "models", "rel_cost")},
            frozenset(k.decode() for k in data["train_keys"]), frozenset(k.decode() for k in data["test_keys"]))
    except RouterFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise RouterFileError(f"{path}: not a readable router file ({type(err).__name__}: {err})") from None
