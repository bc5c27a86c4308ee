"""Networks the grader lends to a student's attack: the student's code sees only a proxy.

``Lent`` wraps a model and refuses (and records) any attempt to change it:
assigning an attribute, or ``backward`` with a learning rate other than 0.
Visible tests lend a softmax-regression model (``LinearModel``), so the
handout's self-check needs no reference solution; hidden tests lend the
trained reference network.
"""

from __future__ import annotations

import numpy as np


def _check_input(y0, shape, classes, t) -> None:
    if not isinstance(y0, np.ndarray) or y0.dtype.kind not in "fiu" or y0.shape != shape:
        raise TypeError(f"forward expects y0 as a float array of shape {shape}")
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or not 0 <= int(t) < classes:
        raise TypeError("forward expects t as an int class index")


class LinearModel:
    """E = -ln softmax(W y + b)[t]: a fixed model, not the homework's network."""

    def __init__(self, m0: int = 64, n: int = 10, seed: int = 7):
        rng = np.random.default_rng(seed)
        self.weights = {"w": rng.normal(0, 0.5, (n, m0)), "b": rng.normal(0, 0.2, n)}
        self.shape, self.classes = (m0,), n
        self._last = None

    def forward(self, y0, t) -> float:
        _check_input(y0, self.shape, self.classes, t)
        a = self.weights["w"] @ np.asarray(y0, dtype=np.float64) + self.weights["b"]
        a = a - a.max()
        p = np.exp(a) / np.exp(a).sum()
        self._last = (p, int(t))
        return float(-np.log(p[int(t)]))

    def backward(self) -> dict:
        if self._last is None:
            raise RuntimeError("call forward before backward")
        p, t = self._last
        da = p.copy()
        da[t] -= 1.0
        return {"y2": np.where(np.arange(len(p)) == t, -1.0 / p[t], 0.0), "a2": da,
                "y0": self.weights["w"].T @ da}

    def loss(self, y0, t) -> float:
        return self.forward(np.asarray(y0, dtype=np.float64), int(t))

    def gradient(self, y0, t) -> np.ndarray:
        self.forward(np.asarray(y0, dtype=np.float64), int(t))
        return self.backward()["y0"]


class Lent:
    """What the student's attack holds as `net`: forward and backward(0) only, weights read-only."""

    methods = ("forward", "backward")

    def __init__(self, model, attributes=()):
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "attributes", tuple(attributes))
        object.__setattr__(self, "tampered", [])

    def forward(self, y0, t):
        return self._model.forward(y0, t)

    def backward(self, lr=0.0):
        if not isinstance(lr, (int, float, np.integer, np.floating)) or float(lr) != 0.0:
            self.tampered.append(f"backward(lr={lr!r})")
        return self._model.backward()

    def __getattr__(self, name):
        if name in object.__getattribute__(self, "attributes"):
            return np.array(object.__getattribute__(self, "_model").weights[name], copy=True)
        raise AttributeError(name)

    def __setattr__(self, name, value):
        self.tampered.append(f"set {name}")


# forward's reply carries backward(0)'s result: an attack step costs one round trip, not two
PREFETCH = {"forward": {"method": "backward", "args": [[], [0.0]]}}


def lend(student, model, attributes=(), counter=[0]):
    """Lend a model to the student's code: (the Lent wrapper, the proxy to pass in calls)."""
    counter[0] += 1
    lent = Lent(model, attributes)
    proxy = student.remote(f"net{counter[0]}", lent, Lent.methods, lent.attributes, PREFETCH)
    return lent, proxy
