"""The learners a router can use, each predicting P(model passes | prompt) for every model at once.

* ``logistic``: one L2-regularised logistic regression per model over embedding + cheap features
  (Newton steps: exact, deterministic, no learning rate to tune).
* ``knn``: the smoothed pass rate of the k most similar training prompts (cosine on the embedding).
* ``lowrank``: RouteLLM's matrix-factorisation idea for many models: prompts are projected to a small
  space shared by all models, each model has a vector there (logit = model · projection(prompt) +
  bias), fitted with Adam from a seeded start.

Each learner is a small set of numpy arrays plus a few numbers, so a router file holds it with
``np.savez`` (no pickle). Which one (and which setting) a router uses is chosen on held-out folds
in ``training.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

Array = "NDArray[np.float64]"
EMBEDDING_WEIGHT = 4.0  # unit-length embeddings next to standardised counts: on a comparable scale


def _sigmoid(z: "NDArray[np.float64]") -> "NDArray[np.float64]":
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class FeatureScaler:
    mean: "NDArray[np.float64]"
    scale: "NDArray[np.float64]"

    @classmethod
    def fit(cls, cheap: "NDArray[np.float64]") -> "FeatureScaler":
        return cls(cheap.mean(axis=0), cheap.std(axis=0) + 1e-9)

    def design(self, emb: "NDArray[np.float32]", cheap: "NDArray[np.float64]") -> "NDArray[np.float64]":
        """The learners' input: weighted embedding, standardised counts, a constant 1."""
        return np.hstack([emb.astype(np.float64) * EMBEDDING_WEIGHT, (cheap - self.mean) / self.scale,
                          np.ones((len(emb), 1))])


@dataclass
class Learner:
    """A fitted learner: ``kind``, its one setting ``param``, and its arrays."""

    kind: str
    param: float
    arrays: dict[str, "NDArray[np.float64]"] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return {"logistic": f"logistic (L2 {self.param:g})", "knn": f"kNN (k={self.param:g})",
                "lowrank": f"low-rank MF (rank {self.param:g})"}[self.kind]

    def predict(self, x: "NDArray[np.float64]", emb: "NDArray[np.float32]") -> "NDArray[np.float64]":
        if self.kind == "logistic":
            return _sigmoid(x @ self.arrays["weights"])
        if self.kind == "knn":
            return _knn_predict(self.arrays["emb"], self.arrays["passed"], emb, int(self.param))
        projected = x @ self.arrays["projection"]
        return _sigmoid(projected @ self.arrays["vectors"].T + self.arrays["bias"])


CANDIDATES: tuple[tuple[str, float], ...] = (
    ("logistic", 1.0), ("logistic", 10.0), ("logistic", 100.0),
    ("knn", 10), ("knn", 30), ("knn", 60),
    ("lowrank", 4), ("lowrank", 16),
)


def fit(kind: str, param: float, x: "NDArray[np.float64]", emb: "NDArray[np.float32]",
        passed: "NDArray[np.float64]", seed: int) -> Learner:
    if kind == "logistic":
        return Learner(kind, param, {"weights": _fit_logistic(x, passed, param)})
    if kind == "knn":
        return Learner(kind, param, {"emb": emb.astype(np.float32), "passed": passed.astype(np.float64)})
    if kind == "lowrank":
        return Learner(kind, param, _fit_lowrank(x, passed, int(param), seed))
    raise ValueError(f"unknown learner {kind!r}")


def _fit_logistic(x: "NDArray[np.float64]", passed: "NDArray[np.float64]", l2: float) -> "NDArray[np.float64]":
    d = x.shape[1]
    penalty = np.full(d, l2)
    penalty[-1] = 1e-6  # the intercept is not shrunk
    weights = np.zeros((d, passed.shape[1]))
    for j in range(passed.shape[1]):
        w = np.zeros(d)
        for _ in range(12):
            p = _sigmoid(x @ w)
            grad = x.T @ (p - passed[:, j]) + penalty * w
            hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-6:
                break
        weights[:, j] = w
    return weights


def _knn_predict(train_emb: "NDArray[np.float64]", passed: "NDArray[np.float64]", emb: "NDArray[np.float32]",
                 k: int) -> "NDArray[np.float64]":
    k = max(1, min(k, len(train_emb)))
    prior = passed.mean(axis=0)
    out = np.empty((len(emb), passed.shape[1]))
    for start in range(0, len(emb), 1024):  # bounded memory on large histories
        sims = emb[start:start + 1024].astype(np.float32) @ train_emb.T.astype(np.float32)
        if k < len(train_emb):
            idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            idx = np.broadcast_to(np.arange(len(train_emb)), sims.shape)
        out[start:start + 1024] = (passed[idx].sum(axis=1) + 2 * prior) / (k + 2)
    return out


def _fit_lowrank(x: "NDArray[np.float64]", passed: "NDArray[np.float64]", rank: int, seed: int,
                 steps: int = 300, rate: float = 0.02, l2: float = 1e-3) -> dict[str, "NDArray[np.float64]"]:
    rng = np.random.default_rng(seed)
    n, d = x.shape
    m = passed.shape[1]
    params = {"projection": rng.normal(0, 0.1, (d, rank)), "vectors": rng.normal(0, 0.1, (m, rank)),
              "bias": np.log((passed.mean(axis=0) + 1e-3) / (1 - passed.mean(axis=0) + 1e-3))}
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    for step in range(1, steps + 1):
        projected = x @ params["projection"]
        err = (_sigmoid(projected @ params["vectors"].T + params["bias"]) - passed) / n
        grads = {"projection": x.T @ (err @ params["vectors"]) + l2 * params["projection"],
                 "vectors": err.T @ projected + l2 * params["vectors"], "bias": err.sum(axis=0)}
        for key, grad in grads.items():
            first, second = moments[key]
            first[...] = 0.9 * first + 0.1 * grad
            second[...] = 0.999 * second + 0.001 * grad * grad
            params[key] = params[key] - rate * (first / (1 - 0.9 ** step)) / (np.sqrt(second / (1 - 0.999 ** step)) + 1e-8)
    return params
