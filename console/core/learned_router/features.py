"""What the learned router sees of a prompt: a sentence embedding plus a few cheap counts.

The embedding comes from WordLlama's ``l2_supercat_256`` static token embeddings (the ``wordllama``
package, MIT): the weights (16 MB) and the tokenizer ship inside the wheel, so nothing is downloaded
at run time, and embedding a prompt is a tokenizer call plus a mean of rows (about 0.1 ms here, no
PyTorch, no ONNX runtime). The weights and the tokenizer are read straight from the package's own
files: ``WordLlama.load()`` looks for the tokenizer under ``tokenizer/`` while the wheel ships it
under ``tokenizers/``, and then tries to download it (wordllama 0.4.0).

Cheap features ride along: length, how many numbers, sentences and question marks. On GSM8K they
carry as much signal as the embedding (see the README's router section).
"""

from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

EMBEDDER_NAME = "wordllama-l2_supercat_256"
EMBEDDING_DIM = 256
CHEAP_NAMES = ("log_chars", "log_numbers", "log_sentences", "questions", "log_largest_number")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE = re.compile(r"[.!?](?:\s|$)")


class EmbedderUnavailable(RuntimeError):
    """The embedding model's package or files are missing (a broken install)."""


class _Embedder:
    """The loaded WordLlama model, made once per process on first use (a lock: planners run in threads)."""

    _lock = threading.Lock()
    _model: Any = None

    @classmethod
    def get(cls) -> Any:
        with cls._lock:
            if cls._model is None:
                cls._model = cls._load()
            return cls._model

    @staticmethod
    def _load() -> Any:
        try:
            with _root_logging_kept():
                import wordllama
                from wordllama.inference import WordLlamaInference
            from safetensors import safe_open
            from tokenizers import Tokenizer
        except ImportError as err:
            raise EmbedderUnavailable(f"the embedding model's package is missing ({err.name}); reinstall Routedesk") from None
        root = Path(wordllama.__file__).parent
        weights = root / "weights" / "l2_supercat_256.safetensors"
        tokenizer_file = root / "tokenizers" / "l2_supercat_tokenizer_config.json"
        if not weights.is_file() or not tokenizer_file.is_file():
            raise EmbedderUnavailable(f"the embedding model's files are missing under {root}; reinstall Routedesk")
        with safe_open(str(weights), framework="np") as handle:
            table = handle.get_tensor("embedding.weight")
        return WordLlamaInference(table, Tokenizer.from_file(str(tokenizer_file)), binary=False)


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo what importing wordllama does to the root logger.

    wordllama calls ``logging.basicConfig(level=logging.INFO)`` at import (``wordllama/__init__.py``
    and ``inference.py``, 0.3.x): from the first router on, every INFO record of the process - one
    per upstream request from httpx - was printed on the terminal of the window, ``routedesk route``
    and ``routedesk serve``. The level and handlers are put back as they were."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


def embed(prompts: Sequence[str]) -> NDArray[np.float32]:
    """Unit-length embeddings, one row per prompt."""
    if not prompts:
        return np.zeros((0, EMBEDDING_DIM), np.float32)
    model = _Embedder.get()
    if len(prompts) == 1:
        # One prompt (a request being planned): tokenized on this thread. ``embed`` goes through
        # ``encode_batch``, which hands even one text to the tokenizers' thread pool; on a busy machine
        # waiting for a pool thread cost up to tens of ms at p95 (bench_router). Same vectors.
        ids = np.array(model.tokenizer.encode(prompts[0], add_special_tokens=False).ids, dtype=np.int32)
        np.clip(ids, 0, model.embedding.shape[0] - 1, out=ids)
        if len(ids) == 0:
            vectors = np.asarray(model.embed(list(prompts)), dtype=np.float32)
        else:
            vectors = np.asarray(model.avg_pool(model.embedding[ids][None, :, :], np.ones((1, len(ids)), np.float32)),
                                 dtype=np.float32)
    else:
        vectors = np.asarray(model.embed(list(prompts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, np.float32(1.0)), dtype=np.float32)


def cheap_features(prompts: Sequence[str]) -> NDArray[np.float64]:
    rows = []
    for text in prompts:
        numbers = _NUMBER.findall(text)
        largest = max((float(n.replace(",", "")) for n in numbers if n.replace(",", "").replace(".", "", 1).isdigit()),
                      default=0.0)
        rows.append((np.log1p(len(text)), np.log1p(len(numbers)), np.log1p(len(_SENTENCE.findall(text))),
                     float(text.count("?")), np.log1p(min(largest, 1e12))))
    return np.asarray(rows, dtype=np.float64).reshape(len(prompts), len(CHEAP_NAMES))


def prompt_features(prompts: Sequence[str]) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """(embeddings, cheap features) for the prompts; the learner scales and combines them."""
    return embed(prompts), cheap_features(prompts)
