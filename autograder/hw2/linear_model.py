"""Softmax regression, E = -ln softmax(w y + b)[t]: a model to attack that is not the homework's.

Self-contained (NumPy only) on purpose: the grader also installs this file in
the student's worker, so a success-rate test runs the student's attack
without a round trip per step. Nothing in it is a secret; whatever it
computes there is treated as the student's output.
"""

import numpy as np


def check_input(y0, shape, classes, t):
    if not isinstance(y0, np.ndarray) or y0.dtype.kind not in "fiu" or y0.shape != shape:
        raise TypeError(f"forward expects y0 as a float array of shape {shape}")
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or not 0 <= int(t) < classes:
        raise TypeError("forward expects t as an int class index")


class LinearModel:
    kind = "linear"

    def __init__(self, m0=64, n=10, seed=7, weights=None):
        if weights is None:
            rng = np.random.default_rng(seed)
            weights = {"w": rng.normal(0, 0.5, (n, m0)), "b": rng.normal(0, 0.2, n)}
        self.weights = {k: np.array(v, dtype=np.float64) for k, v in weights.items()}
        self.shape, self.classes = (self.weights["w"].shape[1],), self.weights["w"].shape[0]
        self._last = None

    def forward(self, y0, t):
        check_input(y0, self.shape, self.classes, t)
        a = self.weights["w"] @ np.asarray(y0, dtype=np.float64) + self.weights["b"]
        a = a - a.max()
        p = np.exp(a) / np.exp(a).sum()
        self._last = (p, int(t))
        return float(-np.log(p[int(t)]))

    def backward(self, lr=0.0):
        if self._last is None:
            raise RuntimeError("call forward before backward")
        p, t = self._last
        da = p.copy()
        da[t] -= 1.0
        return {"y2": np.where(np.arange(len(p)) == t, -1.0 / p[t], 0.0), "a2": da,
                "y0": self.weights["w"].T @ da}

    def loss(self, y0, t):
        return self.forward(np.asarray(y0, dtype=np.float64), int(t))

    def predict(self, images):
        return np.argmax(np.atleast_2d(images) @ self.weights["w"].T + self.weights["b"], axis=1)
