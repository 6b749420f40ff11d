"""The plant still produces the stored reference trajectories (see tests/reference_runs.py).

Tolerance: relative 1e-9 (absolute 1e-9 in the channel's unit) on every channel at every step.
Refactoring for speed may reorder floating-point operations (compiled instead of interpreted
interpolation, fused loops), which moves results by a few ulp; a change of the physics moves
them by far more than 1e-9. A missing reference file is an error, not a skip.
"""
from __future__ import annotations

import numpy as np
import pytest

import reference_runs


@pytest.mark.parametrize("name", sorted(reference_runs.RUNS))
def test_trajectory_matches_the_stored_reference(name):
    path = reference_runs.path(name)
    assert path.exists(), f"reference trajectory {path} is missing: run tests/reference_runs.py"
    with np.load(path, allow_pickle=False) as f:
        stored, columns = f["data"], tuple(f["columns"].tolist())
    assert columns == reference_runs.COLUMNS, "channels changed: regenerate the references deliberately"
    now = reference_runs.run(name)
    assert now.shape == stored.shape
    bad = ~np.isclose(now, stored, rtol=1e-9, atol=1e-9, equal_nan=True)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        pytest.fail(f"{name}: {columns[col]} at t = {stored[row, 0]:.0f} s is {now[row, col]!r}, "
                    f"reference {stored[row, col]!r} ({bad.sum()} values differ)")
