"""Central finite differences and the relative error that judges a gradient (after CS231n)."""

from __future__ import annotations

import numpy as np

from .checks import compare, Comparison

H = 1e-5           # float64: truncation ~h^2, round-off ~eps/h, both far below the tolerance
TOLERANCE = 1e-5   # CS231n: a relative error above 1e-4 is probably a mistake
FLOOR = 1e-7       # entries whose true size is below this are compared absolutely


def central_difference(values: np.ndarray, shape, h: float = H) -> np.ndarray:
    """(f(x + h e_i) - f(x - h e_i)) / 2h from the two rows a probe returned."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != 2 or values.shape[1] != int(np.prod(shape)):
        raise ValueError("probe values have the wrong shape")
    return ((values[0] - values[1]) / (2 * h)).reshape(shape)


def check_gradient(analytic: np.ndarray, numeric: np.ndarray, tol: float = TOLERANCE) -> Comparison:
    return compare(analytic, numeric, tol=tol, floor=FLOOR)
