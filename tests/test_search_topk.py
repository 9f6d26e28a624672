"""The kth largest score, found through a sample of the scores: always the value a
full sort gives, whether the sample points to it or misleads it."""

from __future__ import annotations

import numpy as np
import pytest

from dwsearch.search.ranking import SAMPLE_STEP, kth_largest


def _cases(seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 60_000))
    yield "spread", rng.random(size) * 20
    yield "few values, many ties", rng.integers(0, 6, size).astype(np.float64)
    yield "mostly zero", np.where(rng.random(size) < 0.05, rng.random(size), 0.0)
    yield "ascending", np.sort(rng.random(size))
    # The best values all sit at the sample's places: the sample sets its bar too high
    # (fewer than k clear it), and the answer must come from all the values.
    crowded = rng.random(size)
    crowded[::SAMPLE_STEP] += 10
    yield "best values on the sample", crowded
    # And between them: the bar is low, and many clear it.
    hidden = rng.random(size)
    hidden[np.arange(size) % SAMPLE_STEP != 0] += 10
    yield "best values off the sample", hidden


@pytest.mark.parametrize("seed", range(12))
def test_the_kth_largest_is_what_sorting_says(seed):
    rng = np.random.default_rng(1000 + seed)
    for name, values in _cases(seed):
        ordered = np.sort(values)[::-1]
        for k in {1, 2, 10, 100, 320, int(rng.integers(1, len(values) + 1)), len(values)}:
            if k <= len(values):
                assert kth_largest(np, values, k) == ordered[k - 1], (name, len(values), k)
