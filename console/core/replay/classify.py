"""The draft's task for each logged request: rules on the stored prompt, or what the log can decide.

Where the prompt was stored the request is classified by the draft's rules as it would be live.
Where it was not, metadata and token-count rules still apply (both are logged); the first rule
that needs text stops the walk and the logged task is kept, and the request is counted as such.
A logged explicit task hint is honoured as the live classifier would.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np

from console.core.policy.schema import Condition, Policy
from console.core.request import Request
from console.core.routing.classify import classify_by_rules

HINT_PREFIX = "explicit task hint"


def factorize(values: Iterable[Hashable], count: int) -> tuple[np.ndarray, list[Hashable]]:
    """Integer codes for ``values`` (first seen → 0) and the distinct values in code order.

    ``map(dict.setdefault, ...)`` runs at C speed; the counter's gaps are closed by ``np.unique``.
    """
    seen: dict[Hashable, int] = {}
    raw = np.fromiter(map(seen.setdefault, values, itertools.count()), dtype=np.int64, count=count)
    firsts = np.fromiter(seen.values(), dtype=np.int64, count=len(seen))
    order = np.argsort(firsts)
    remap = np.empty(int(firsts.max()) + 1 if len(firsts) else 0, dtype=np.int64)
    remap[firsts[order]] = np.arange(len(firsts))
    keys = list(seen)
    return (remap[raw] if count else raw), [keys[k] for k in order.tolist()]


def factorize_codes(codes: np.ndarray, names: Sequence[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
    """``factorize`` of ``[names[c] for c in codes]``, from the codes (``names`` distinct): O(n), no hashing."""
    n = len(codes)
    first = np.full(len(names), n, dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)  # the last write to a slot is its first occurrence
    present = np.flatnonzero(first < n)
    order = present[np.argsort(first[present], kind="stable")]
    remap = np.zeros(len(names), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[codes], [names[k] for k in order.tolist()]


def unique_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_index=True, return_inverse=True)`` for non-negative integer keys, without its
    sort where the keys' range is small (group keys made of a few codes): a count over the range instead."""
    n = len(keys)
    top = int(keys.max()) + 1 if n else 0
    if n == 0 or top > 4 * n + 1024 or int(keys.min()) < 0:
        uniq, first_at, inverse = np.unique(keys, return_index=True, return_inverse=True)
        return uniq, first_at, inverse.reshape(-1)
    first = np.full(top, n, dtype=np.int64)
    first[keys[::-1]] = np.arange(n - 1, -1, -1)
    uniq = np.flatnonzero(first < n)
    slot = np.zeros(top, dtype=np.int64)
    slot[uniq] = np.arange(len(uniq))
    return uniq.astype(keys.dtype, copy=False), first[uniq], slot[keys]


def meta_keys(policy: Policy) -> list[str]:
    """The metadata keys the draft's rules look at."""
    keys: set[str] = set()

    def walk(cond: Condition) -> None:
        if cond.meta:
            keys.update(cond.meta)
        for part in (cond.all or []) + (cond.any or []) + ([cond.not_] if cond.not_ is not None else []):
            walk(part)

    for rule in policy.classification.rules:
        walk(rule.when)
    return sorted(keys)


def decide_without_text(cond: Condition, meta: dict[str, str], tokens: int) -> bool | None:
    """Whether ``cond`` holds, from metadata and the token count alone; None when it needs the text."""
    if cond.keywords is not None or cond.regex is not None:
        return None
    if cond.tokens is not None:
        low, high = cond.tokens.min, cond.tokens.max
        return (low is None or tokens >= low) and (high is None or tokens <= high)
    if cond.meta is not None:
        for key, want in cond.meta.items():
            have = meta.get(key)
            options = [want] if isinstance(want, str) else want
            if have is None or have.casefold() not in {o.casefold() for o in options}:
                return False
        return True
    if cond.all is not None:
        parts = [decide_without_text(c, meta, tokens) for c in cond.all]
        return False if False in parts else (None if None in parts else True)
    if cond.any is not None:
        parts = [decide_without_text(c, meta, tokens) for c in cond.any]
        return True if True in parts else (None if None in parts else False)
    if cond.not_ is not None:
        inner = decide_without_text(cond.not_, meta, tokens)
        return None if inner is None else not inner
    return False


def task_without_text(policy: Policy, logged_task: str, hinted: bool, meta: dict[str, str],
                      tokens: int) -> tuple[str, bool]:
    """(task, kept the logged one because a rule needed text) for a request whose prompt was not stored."""
    cls = policy.classification
    if hinted and cls.honour_task_hint and logged_task in policy.tasks:
        return logged_task, False
    for rule in cls.rules:
        holds = decide_without_text(rule.when, meta, tokens)
        if holds is None:
            return logged_task, True
        if holds:
            return rule.task, False
    return cls.default, False


def task_with_text(policy: Policy, prompt: str, logged_task: str, hinted: bool, meta: dict[str, str],
                   tokens: int) -> str:
    request = Request.from_prompt(prompt, metadata=meta, task_hint=logged_task if hinted else None)
    request.__dict__["estimated_prompt_tokens"] = tokens  # the cached_property's slot: the logged count rules
    return classify_by_rules(request, policy).task


def classify_all(policy: Policy, *, tasks: list[str], hinted: list[bool], prompts: list[str | None],
                 meta_of: Callable[[int], dict[str, str]], meta_columns: dict[str, list[str]],
                 tokens: np.ndarray, buckets: np.ndarray,
                 factorized: Mapping[str, tuple[np.ndarray, list[Any]]] | None = None) -> tuple[list[str], int]:
    """The draft's task per request and how many kept their logged task because no prompt was stored.

    Requests without a prompt are classified once per distinct (logged task, hint, token bucket,
    metadata the rules read); stored prompts one by one (identical ones once). ``factorized``: columns
    (``task`` and metadata keys) the caller has already factorized.
    """
    n = len(tasks)
    keys = meta_keys(policy)
    given = factorized or {}
    parts: list[tuple[np.ndarray, list[Any]]] = [given.get("task") or factorize(tasks, n), factorize(hinted, n)]
    for key in keys:
        column = meta_columns.get(key)
        parts.append(given.get(key) or factorize(
            column if column is not None else (meta_of(i).get(key) for i in range(n)), n))
    combined = buckets.astype(np.int64)
    for codes, names in parts:
        combined = combined * len(names) + codes
    uniq, first_at, inverse = unique_inverse(combined)
    decided: list[str] = []
    kept_flags = np.zeros(len(uniq), dtype=np.int64)
    for k, i in enumerate(first_at.tolist()):
        meta = {key: str(names[codes[i]]) for key, (codes, names) in zip(keys, parts[2:]) if names[codes[i]]}
        task, kept = task_without_text(policy, tasks[i], hinted[i], meta, int(tokens[i]))
        decided.append(task)
        kept_flags[k] = kept
    inverse = inverse.reshape(-1)
    out = [decided[k] for k in inverse.tolist()]
    has_prompt = [i for i, p in enumerate(prompts) if p is not None]
    kept_logged = int(kept_flags[inverse].sum()) if n else 0
    text_cache: dict[tuple[object, ...], str] = {}
    for i in has_prompt:
        meta = meta_of(i)
        kept_logged -= int(kept_flags[inverse[i]])
        tkey = (prompts[i], tasks[i], hinted[i], int(tokens[i]), tuple(meta.get(k) for k in keys))
        known = text_cache.get(tkey)
        if known is None:
            known = text_cache[tkey] = task_with_text(policy, prompts[i] or "", tasks[i], hinted[i], meta,
                                                      int(tokens[i]))
        out[i] = known
    return out, kept_logged
