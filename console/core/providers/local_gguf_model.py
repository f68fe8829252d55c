"""One GGUF model loaded in this process, and the generation that runs on its own worker thread.

Two threads driving one ``llama_cpp.Llama`` crash llama.cpp (DESIGN.md), so every call on a
``LoadedModel`` — loading, tokenising, generating, freeing — goes through its single-worker
executor. Nothing here touches the event loop except through ``emit`` callbacks the provider hands
in, which are thread-safe.
"""

from __future__ import annotations

import ctypes
import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from console.core.outcomes import Outcome
from console.core.providers.base import Completion, ProviderCall, ProviderError, TextChunk
from console.core.providers.gguf_file import GGUFInfo
from console.core.records import Usage

#: llama-cpp-python's quiet mode (verbose=False) points the process's fds 1 and 2 at /dev/null while
#: a model loads and restores them after. Two loads at once would each restore the other's
#: /dev/null and leave the process silent, so loads take turns (they share the CPU anyway).
_QUIET_LOAD = threading.Lock()
#: llama.cpp says where each layer went while it loads ("load_tensors: layer  12 assigned to device
#: CUDA0, is_swa = 0"): the layers actually offloaded are read from there, not guessed.
_LAYER_PLACEMENT = re.compile(r"layer\s+(\d+) assigned to device ([^,\s]+)")


def layer_devices(log_text: str) -> dict[int, str]:
    """Layer number -> device name, from llama.cpp's load log."""
    return {int(number): device for number, device in _LAYER_PLACEMENT.findall(log_text)}


class _LoadLog:
    """Captures llama.cpp's log while a model loads (under ``_QUIET_LOAD``: the hook is global).

    Everything is still handed on to llama-cpp-python's own logger, which prints only errors unless
    verbose.
    """

    def __init__(self) -> None:
        import llama_cpp
        from llama_cpp import _logger

        self._llama_cpp, self._theirs = llama_cpp, _logger.llama_log_callback
        self.parts: list[str] = []

        @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]  # a ctypes CFUNCTYPE: untyped
        def capture(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            self.parts.append(text.decode("utf-8", "replace"))
            self._theirs(level, text, user_data)

        self._ours = capture  # kept referenced while llama.cpp may call it

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def __enter__(self) -> "_LoadLog":
        self._llama_cpp.llama_log_set(self._ours, ctypes.c_void_p(0))
        return self

    def __exit__(self, *_exc: object) -> None:
        self._llama_cpp.llama_log_set(self._theirs, ctypes.c_void_p(0))


@dataclass(frozen=True)
class LocalModelSettings:
    """How one GGUF file is loaded (the first load of a file in a host sets them; see local_host).

    Attributes:
        path: the resolved .gguf file.
        n_ctx: context size in tokens.
        n_gpu_layers: layers to offload to a GPU; -1 means all, 0 none.
        n_threads: CPU threads for decoding; None lets llama.cpp choose.
    """

    path: Path
    n_ctx: int = 2048
    n_gpu_layers: int = 0
    n_threads: int | None = None


def choices_gbnf(choices: tuple[str, ...]) -> str:
    """A GBNF grammar whose only sentences are the given labels."""
    quoted = (
        '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"' for label in choices
    )
    return "root ::= " + " | ".join(quoted)


@dataclass
class RunStats:
    """Figures of the last generation on a model."""

    output_tokens: int = 0
    decode_seconds: float = 0.0
    cancelled: bool = False

    @property
    def tokens_per_second(self) -> float:
        return self.output_tokens / self.decode_seconds if self.decode_seconds > 0 else 0.0


class _LogprobTracker:
    """A logits processor that records each sampled token's log-probability.

    llama.cpp hands a processor the logits *before* sampling, so the chosen token's log-probability
    is known one step later (when it appears in ``input_ids``); the last token's is never known.
    """

    def __init__(self) -> None:
        self._pending: np.ndarray | None = None
        self.values: list[float] = []

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if self._pending is not None and len(input_ids):
            self.values.append(float(self._pending[int(input_ids[-1])]))
        top = float(scores.max())
        self._pending = scores - (top + math.log(float(np.exp(scores - top).sum())))
        return scores


@dataclass
class LoadedModel:
    """A ``Llama`` plus the one thread allowed to drive it."""

    settings: LocalModelSettings
    info: GGUFInfo
    executor: ThreadPoolExecutor
    llama: Any = None
    formatter: Any = None
    layers_offloaded: int = 0  # layers llama.cpp placed on a GPU (read from its load log)
    layers_total: int = 0
    devices: dict[str, int] = field(default_factory=dict)  # device -> layers, as llama.cpp logged them
    last_run: RunStats = field(default_factory=RunStats)

    # --- everything below runs on ``executor`` only ------------------------------------------

    def load_in_worker(self, gpu_offload: bool) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        try:
            with _QUIET_LOAD, _LoadLog() as load_log:
                self.llama = Llama(
                    model_path=str(self.settings.path),
                    n_ctx=self.settings.n_ctx,
                    n_gpu_layers=self.settings.n_gpu_layers,
                    n_threads=self.settings.n_threads,
                    verbose=False,  # llama.cpp prints pages of load logs to stderr otherwise
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ProviderError(Outcome.BAD_REQUEST, f"llama.cpp could not load {self.settings.path}: {exc}") from None
        template = self.llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ProviderError(Outcome.BAD_REQUEST, f"{self.settings.path} carries no chat template")
        vocab = self.llama._model  # the binding keeps token texts here; no public accessor exists
        eos_id, bos_id = self.llama.token_eos(), self.llama.token_bos()
        self.formatter = Jinja2ChatFormatter(  # sandboxed Jinja: the template is untrusted input
            template=template,
            eos_token=vocab.token_get_text(eos_id) if eos_id != -1 else "",
            bos_token=vocab.token_get_text(bos_id) if bos_id != -1 else "",
            stop_token_ids=[eos_id],
        )
        placement = layer_devices(load_log.text)
        if placement:  # what llama.cpp did
            for device in placement.values():
                self.devices[device] = self.devices.get(device, 0) + 1
            self.layers_offloaded = sum(1 for device in placement.values() if not device.upper().startswith("CPU"))
            self.layers_total = len(placement)
            return
        # A llama.cpp that does not say (its log changed): what the settings asked for, if it can offload.
        blocks = self.info.metadata.get(f"{self.info.architecture}.block_count")
        total_layers = (blocks + 1) if isinstance(blocks, int) else 0  # +1: the output layer
        wanted = total_layers if self.settings.n_gpu_layers < 0 else self.settings.n_gpu_layers
        self.layers_offloaded = min(wanted, total_layers) if gpu_offload else 0
        self.layers_total = total_layers

    def prompt_tokens_in_worker(self, call: ProviderCall) -> tuple[list[int], list[str], Any]:
        messages = [{"role": m.role, "content": m.content} for m in call.messages]
        try:
            rendered = self.formatter(messages=messages)
        except Exception as exc:  # a template may raise anything (raise_exception, undefined names)
            raise ProviderError(Outcome.BAD_REQUEST, f"the model's chat template failed: {exc}") from None
        tokens = self.llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)
        return tokens, list(rendered.stop or []), rendered.stopping_criteria

    def generate_in_worker(
        self, call: ProviderCall, emit: Callable[[TextChunk], None], cancelled: threading.Event
    ) -> Completion:
        from llama_cpp import LogitsProcessorList, StoppingCriteriaList
        from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

        if cancelled.is_set():  # gave up while queued behind another generation: no prefill for nobody
            raise ProviderError(Outcome.CANCELLED, "the request was cancelled before generation started")
        if call.tools and not (call.tool_choice is not None and call.tool_choice.mode == "none"):
            from console.core.providers.local_gguf_tools import call_tools

            text, completion = call_tools(self.llama, call)  # a model marked tools: true (see that module)
            if text:
                emit(TextChunk(text))
            return completion
        tokens, stop, template_stop = self.prompt_tokens_in_worker(call)
        n_ctx = self.settings.n_ctx
        if len(tokens) >= n_ctx:
            raise ProviderError(
                Outcome.CONTEXT_OVERFLOW,
                f"the prompt is {len(tokens)} tokens; this model is loaded with a {n_ctx}-token context",
            )

        def stop_when_cancelled(input_ids: np.ndarray, logits: np.ndarray) -> bool:
            # Checked by llama.cpp after every sampled token: cancel takes effect between tokens.
            return cancelled.is_set() or bool(template_stop and template_stop(input_ids, logits))

        tracker = _LogprobTracker() if call.want_logprobs else None
        grammar = None
        if call.choices:  # decoding can only spell one of the labels (the model-based classifier)
            grammar = LlamaGrammar.from_string(choices_gbnf(call.choices), verbose=False)
        elif call.json_mode:
            grammar = LlamaGrammar.from_string(JSON_GBNF, verbose=False)
        parts: list[str] = []
        finish: str | None = None
        started = time.perf_counter()
        first_token_at: float | None = None
        reported = 0
        sampling = call.sampling  # the caller's stop sequences join the chat template's
        stop = [*(stop or []), *sampling.stop] if sampling.stop else stop
        extra = {name: value for name, value in (
            ("top_p", sampling.top_p), ("seed", sampling.seed), ("presence_penalty", sampling.presence_penalty),
            ("frequency_penalty", sampling.frequency_penalty)) if value is not None}
        for chunk in self.llama.create_completion(
            prompt=tokens,
            max_tokens=call.max_tokens,
            temperature=0.8 if call.temperature is None else call.temperature,
            stop=stop,
            **extra,
            stream=True,
            stopping_criteria=StoppingCriteriaList([stop_when_cancelled]),
            logits_processor=LogitsProcessorList([tracker]) if tracker else None,
            grammar=grammar,
        ):
            choice = chunk["choices"][0]
            finish = choice.get("finish_reason") or finish
            text = choice.get("text") or ""
            if text:
                first_token_at = first_token_at or time.perf_counter()
                parts.append(text)
                new_logprobs = tuple(tracker.values[reported:]) if tracker else ()
                reported += len(new_logprobs)
                emit(TextChunk(text, new_logprobs))
        answer = "".join(parts)
        output = len(self.llama.tokenize(answer.encode("utf-8"), add_bos=False, special=True)) if answer else 0
        ended = time.perf_counter()
        self.last_run = RunStats(output, ended - (first_token_at or started), cancelled.is_set())
        if cancelled.is_set():
            raise ProviderError(Outcome.CANCELLED, "generation was cancelled", partial_text=answer)
        usage = Usage(input_tokens=len(tokens), output_tokens=output, estimated=False)
        return Completion(usage=usage, model_id=call.model_id, finish_reason=finish)

    def free_in_worker(self) -> None:
        if self.llama is not None:
            self.llama.close()
            self.llama = None
