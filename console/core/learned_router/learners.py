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
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

Array = "NDArray[np.float64]"
PCA_DIMS = 128
EMBEDDING_WEIGHT = 4.0


def _mat(a: "NDArray[Any]", b: "NDArray[Any]") -> "NDArray[np.float64]":
    """``a @ b``; for one row without BLAS: OpenBLAS wakes its threads even for a 1x256 product, and on a
    busy machine waiting for them cost a planned request up to ~12 ms at p99 (bench_router)."""
    if a.shape[0] == 1:
        return np.asarray(np.einsum("ij,jk->ik", a, b), dtype=np.float64)
    return np.asarray(a @ b, dtype=np.float64)


def _sigmoid(z: "NDArray[np.float64]") -> "NDArray[np.float64]":
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class FeatureScaler:
    """Standardised counts, and the embedding on the training prompts' top principal directions (128 of
    256: the logistic and low-rank fits cost about 4x less, so 10,000 prompts train within 2 minutes)."""

    mean: "NDArray[np.float64]"
    scale: "NDArray[np.float64]"
    basis: "NDArray[np.float64]"      # (embedding dim, PCA_DIMS)
    centre: "NDArray[np.float64]"     # the training embeddings' mean

    @classmethod
    def fit(cls, cheap: "NDArray[np.float64]", emb: "NDArray[np.float32]") -> "FeatureScaler":
        centre = emb.astype(np.float64).mean(axis=0)
        _, _, vt = np.linalg.svd(emb.astype(np.float64) - centre, full_matrices=False)
        # an orthonormal basis keeps distances (less the dropped directions); the weight puts the unit-length
        # embeddings on a scale comparable with the standardised counts
        return cls(cheap.mean(axis=0), cheap.std(axis=0) + 1e-9, vt[:PCA_DIMS].T * EMBEDDING_WEIGHT, centre)

    def design(self, emb: "NDArray[np.float32]", cheap: "NDArray[np.float64]") -> "NDArray[np.float64]":
        """The learners' input: the projected embedding, standardised counts, a constant 1."""
        return np.hstack([_mat(emb.astype(np.float64) - self.centre, self.basis), (cheap - self.mean) / self.scale,
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
            return _sigmoid(_mat(x, self.arrays["weights"]))
        if self.kind == "knn":
            return _knn_predict(self.arrays["emb"], self.arrays["passed"], emb, int(self.param), self.arrays.get("prior"))
        projected = _mat(x, self.arrays["projection"])
        return _sigmoid(_mat(projected, self.arrays["vectors"].T) + self.arrays["bias"])


KNN_MAX_TRAIN = 4000
CANDIDATES: tuple[tuple[str, float], ...] = (
    ("logistic", 1.0), ("logistic", 10.0), ("logistic", 100.0),
    ("knn", 10), ("knn", 30), ("knn", 60),
    ("lowrank", 8),
)


def fit(kind: str, param: float, x: "NDArray[np.float64]", emb: "NDArray[np.float32]",
        passed: "NDArray[np.float64]", seed: int) -> Learner:
    if kind == "logistic":
        return Learner(kind, param, {"weights": _fit_logistic(x, passed, param)})
    if kind == "knn":
        return Learner(kind, param, {"emb": emb.astype(np.float32), "passed": passed.astype(np.float64),
                                     "prior": passed.mean(axis=0)})
    if kind == "lowrank":
        return Learner(kind, param, _fit_lowrank(x, passed, int(param), seed))
    raise ValueError(f"unknown learner {kind!r}")


def _fit_logistic(x: "NDArray[np.float64]", passed: "NDArray[np.float64]", l2: float,
                  start: "NDArray[np.float64] | None" = None) -> "NDArray[np.float64]":
    d = x.shape[1]
    penalty = np.full(d, l2)
    penalty[-1] = 1e-6  # the intercept is not shrunk
    weights = np.zeros((d, passed.shape[1]))
    for j in range(passed.shape[1]):
        w = np.zeros(d) if start is None else start[:, j].copy()
        for _ in range(8):  # Newton converges in a handful of steps on a ridge-penalised problem
            p = _sigmoid(x @ w)
            grad = x.T @ (p - passed[:, j]) + penalty * w
            hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-4:
                break
        weights[:, j] = w
    return weights


def candidates_for(train_size: int) -> tuple[tuple[str, float], ...]:
    """The learners worth trying: kNN compares a request with every training prompt, so past
    ``KNN_MAX_TRAIN`` its decision alone would pass the 5 ms budget here (10,500 prompts: ~8 ms)."""
    return tuple(c for c in CANDIDATES if c[0] != "knn" or train_size <= KNN_MAX_TRAIN)


def held_out_predictions(x_in: "NDArray[np.float64]", emb_in: "NDArray[np.float32]", passed: "NDArray[np.float64]",
                         x_out: "NDArray[np.float64]", emb_out: "NDArray[np.float32]", seed: int,
                         candidates: tuple[tuple[str, float], ...] = CANDIDATES,
                         ) -> dict[tuple[str, float], "NDArray[np.float64]"]:
    """Every candidate's predictions for one fold, sharing work: the logistic fits warm-start from the
    more regularised one, and the kNN settings share one neighbour search."""
    out: dict[tuple[str, float], "NDArray[np.float64]"] = {}
    weights = None
    for kind, param in sorted(candidates, key=lambda c: (c[0], -c[1])):
        if kind == "logistic":
            weights = _fit_logistic(x_in, passed, param, weights)
            out[(kind, param)] = _sigmoid(x_out @ weights)
        elif kind == "lowrank":
            out[(kind, param)] = fit(kind, param, x_in, emb_in, passed, seed).predict(x_out, emb_out)
    ks = sorted(int(p) for kind, p in candidates if kind == "knn")
    if ks:
        for k, probs in zip(ks, _knn_predict_many(emb_in, passed, emb_out, ks)):
            out[("knn", float(k))] = probs
    return {c: out[(c[0], float(c[1]))] for c in candidates}


def _knn_predict_many(train_emb: "NDArray[np.floating[Any]]", passed: "NDArray[np.float64]", emb: "NDArray[np.float32]",
                      ks: list[int]) -> list["NDArray[np.float64]"]:
    """Predictions for each k in ``ks`` from one search for the largest k's neighbours (closest first)."""
    top = max(1, min(max(ks), len(train_emb)))
    prior = passed.mean(axis=0)
    outs = [np.empty((len(emb), passed.shape[1])) for _ in ks]
    train = train_emb.astype(np.float32, copy=False)
    for start in range(0, len(emb), 1024):
        sims = emb[start:start + 1024].astype(np.float32, copy=False) @ train.T
        idx = np.argpartition(-sims, top - 1, axis=1)[:, :top] if top < len(train_emb) else \
            np.broadcast_to(np.arange(len(train_emb)), sims.shape)
        order = np.argsort(-np.take_along_axis(sims, idx, axis=1), axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, axis=1)
        cum = np.cumsum(passed[idx], axis=1)  # (rows, top, models)
        for out, k in zip(outs, ks):
            kk = min(k, top)
            out[start:start + 1024] = (cum[:, kk - 1] + 2 * prior) / (kk + 2)
    return outs


def _knn_predict(train_emb: "NDArray[np.floating[Any]]", passed: "NDArray[np.float64]", emb: "NDArray[np.float32]",
                 k: int, prior: "NDArray[np.float64] | None" = None) -> "NDArray[np.float64]":
    k = max(1, min(k, len(train_emb)))
    prior = passed.mean(axis=0) if prior is None else prior
    out = np.empty((len(emb), passed.shape[1]))
    train = train_emb.astype(np.float32, copy=False)  # stored as float32: no copy of the table per request
    for start in range(0, len(emb), 1024):  # bounded memory on large histories
        sims = emb[start:start + 1024].astype(np.float32, copy=False) @ train.T
        if k < len(train_emb):
            idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            idx = np.broadcast_to(np.arange(len(train_emb)), sims.shape)
        out[start:start + 1024] = (passed[idx].sum(axis=1) + 2 * prior) / (k + 2)
    return out


def _fit_lowrank(x: "NDArray[np.float64]", passed: "NDArray[np.float64]", rank: int, seed: int,
                 steps: int = 100, rate: float = 0.04, l2: float = 3e-2) -> dict[str, "NDArray[np.float64]"]:
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
