"""The replay's grouping shortcuts give exactly what the general ways give (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from console.core.replay.classify import factorize, factorize_codes, unique_inverse


@given(st.lists(st.integers(min_value=0, max_value=60), max_size=300),
       st.integers(min_value=0, max_value=10**9))
def test_unique_inverse_is_numpys_unique(keys: list[int], offset: int) -> None:
    # small keys take the counting path, keys shifted far up the sorting one: both must be np.unique
    for array in (np.array(keys, dtype=np.int64), np.array(keys, dtype=np.int64) + offset):
        uniq, first_at, inverse = unique_inverse(array)
        want_uniq, want_first, want_inverse = np.unique(array, return_index=True, return_inverse=True)
        assert np.array_equal(uniq, want_uniq) and np.array_equal(first_at, want_first)
        assert np.array_equal(inverse, want_inverse.reshape(-1))


@given(st.lists(st.integers(min_value=0, max_value=7), max_size=200))
def test_factorize_codes_is_factorize_of_the_values(codes: list[int]) -> None:
    names = [f"name-{k}" for k in range(8)]
    values = [names[c] for c in codes]
    got_codes, got_names = factorize_codes(np.array(codes, dtype=np.int64), names)
    want_codes, want_names = factorize(values, len(values))
    assert np.array_equal(got_codes, want_codes) and got_names == want_names
