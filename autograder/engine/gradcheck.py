"""Central finite differences and the relative error that judges a gradient (after CS231n)."""

from __future__ import annotations

import numpy as np

from .checks import compare, Comparison

H = 1e-5           # float64: truncation ~h^2, round-off ~eps/h, both far below the tolerance
TOLERANCE = 1e-5   # CS231n: a relative error above 1e-4 is probably a mistake
FLOOR = 1e-3       # below this size an entry is judged absolutely (1e-8 = FLOOR * TOLERANCE): finite
                   # differences carry ~1e-10 of round-off, which tiny entries cannot absorb relatively


SAMPLE = 48        # entries checked in a large array, as CS231n's grad_check_sparse does


def central_difference(values: np.ndarray, count: int, h: float = H) -> np.ndarray:
    """(f(x + h e_i) - f(x - h e_i)) / 2h from the two rows a probe returned, one per entry."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != 2 or values.shape[1] != count:
        raise ValueError("probe values have the wrong shape")
    return (values[0] - values[1]) / (2 * h)


def sample_entries(size: int, seed: int = 0, sample: int = SAMPLE) -> np.ndarray:
    """Every flat index of a small array; a fixed random sample of a large one."""
    if size <= sample:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, sample, replace=False))


def check_gradient(analytic: np.ndarray, numeric: np.ndarray, tol: float = TOLERANCE) -> Comparison:
    return compare(analytic, numeric, tol=tol, floor=FLOOR)
