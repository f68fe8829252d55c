"""Prompt features: one prompt (a request) embeds exactly as it does in a training batch."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from console.core.learned_router.features import CHEAP_NAMES, EMBEDDING_DIM, cheap_features, embed

PROMPTS = ["What is 12 plus 30?", "", "héllo wörld ✓ 🙂", "a",
           "A shop sells 40 items at $3 each. After a 10% discount, what do 4 customers pay?"]


def test_one_prompt_embeds_as_it_does_in_a_batch() -> None:
    batch = embed(PROMPTS)
    assert batch.shape == (len(PROMPTS), EMBEDDING_DIM) and batch.dtype == np.float32
    for i, prompt in enumerate(PROMPTS):
        assert np.array_equal(embed([prompt])[0], batch[i])
    norms = np.linalg.norm(batch, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)


def test_cheap_features_count_what_they_say() -> None:
    rows = cheap_features(["Is 1,000 more than 3?", "no numbers here"])
    named = [dict(zip(CHEAP_NAMES, row)) for row in rows]
    assert named[0]["log_numbers"] == np.log1p(2) and named[0]["questions"] == 1
    assert named[0]["log_largest_number"] == np.log1p(1000)
    assert named[1]["log_numbers"] == 0 and named[1]["log_largest_number"] == 0


def test_loading_the_embedder_leaves_the_processs_logging_as_it_was() -> None:
    # wordllama calls logging.basicConfig(level=INFO) when imported: every httpx request was then
    # printed on the operator's terminal. A fresh interpreter, so the import really happens here.
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    code = ("import logging; from console.core.learned_router.features import embed; embed(['how many apples?']); "
            "r = logging.getLogger(); print(r.level, len(r.handlers), 'wordllama' in __import__('sys').modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(logging.WARNING), "0", "True"]
