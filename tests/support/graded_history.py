"""A made-up graded history with a learnable signal, for router tests: three models, three kinds of prompt.

Easy prompts (a sum) are passed by every model, medium ones (a shop with a discount) by the medium and
large models, hard ones (a proof) only by the large model; ``noise`` of the grades are flipped, seeded.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np

from console.core.learned_router.graded import GradedHistory

MODELS = ("small", "medium", "large")
_WORDS = ["river", "garden", "market", "school", "harbour", "bakery", "library", "station", "orchard", "museum"]


def prompt(kind: int, rng: random.Random) -> str:
    a, b, w = rng.randint(2, 99), rng.randint(2, 99), rng.choice(_WORDS)
    if kind == 0:
        return f"What is {a} plus {b}?"
    if kind == 1:
        return (f"A {w} shop sells {a} items at ${b} each. After a {rng.randint(5, 40)}% discount and "
                f"{rng.randint(2, 9)}% tax, what do {rng.randint(2, 9)} customers pay in total?")
    return (f"Prove that the sequence defined near the {w} by x_(n+1) = sqrt({a} + x_n) converges, find its "
            f"limit, and show the error after {b} steps is bounded by a geometric series. Justify each step.")


def rows(n: int = 300, seed: int = 7, noise: float = 0.05) -> list[tuple[str, list[bool]]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 3
        grades = [kind <= 0, kind <= 1, True]
        grades = [g if rng.random() >= noise else not g for g in grades]
        out.append((prompt(kind, rng), grades))
    return out


def history(n: int = 300, seed: int = 7) -> GradedHistory:
    data = rows(n, seed)
    passed = np.array([[float(g) for g in grades] for _, grades in data])
    cost = np.tile(np.array([0.0001, 0.001, 0.01]), (len(data), 1))
    return GradedHistory("made-up", MODELS, tuple(f"c{i}" for i in range(len(data))),
                         tuple(p for p, _ in data), passed, cost)


def write_grade_only_csv(path: Path, n: int = 300, seed: int = 7) -> Path:
    """The public routing-dataset shape: a prompt column, then one true/false column per model."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt", *MODELS])
        for prompt, grades in rows(n, seed):
            writer.writerow([prompt, *("true" if g else "false" for g in grades)])
    return path
