"""Homework 2: a network with one hidden layer, in NumPy.

Notation (from the recitation), one sample at a time:

    y0 = y_{L-2}                       input, shape (M0,)
    a1 = w1 @ y0 + b1                  a_{L-1}, shape (M1,)
    y1 = sigmoid(a1)                   y_{L-1}, shape (M1,)
    a2 = w2 @ y1 + b2                  a_L,     shape (N,)
    y2 = softmax(a2)                   y_L,     shape (N,)
    E  = -ln y2[t]                     cross-entropy for the true class t

Weights: w1 (M1, M0), b1 (M1,), w2 (N, M1), b2 (N,), all float64.
"""

import numpy as np


class Network:
    def setup(self, M0: int, M1: int, N: int, seed: int = 0) -> None:
        """Create self.w1 (M1, M0), self.b1 (M1,), self.w2 (N, M1), self.b2 (N,).

        float64 and finite; the weights must break symmetry (not all equal),
        and the same `seed` must give the same values. Small random weights
        (e.g. normal with standard deviation 1/sqrt(fan_in)); biases may be 0.

        Graded: shapes, dtype, finiteness, symmetry breaking, reproducibility.
        """
        raise NotImplementedError  # your code here

    def forward(self, y0: np.ndarray, t: int) -> float:
        """Return E = -ln y2[t] for the input y0 (M0,) and the true class t.

        Computes a1, y1 = sigmoid(a1), a2, y2 = softmax(a2) with whatever
        self.w1, self.b1, self.w2, self.b2 hold (the grader may set them),
        and keeps on `self` what backward needs. Must not modify y0.
        Returns a Python float or NumPy float scalar, not an array.
        Must stay finite for logits a2 in the hundreds: use a stable
        softmax / log-sum-exp.

        Graded: E against a reference on several inputs and classes, the
        type of E, y0 untouched, large logits.
        """
        raise NotImplementedError  # your code here

    def backward(self, lr: float = 0.0) -> dict:
        """Return the gradients of E from the last forward, then step.

        Keys "y2", "a2", "w2", "b2", "y1", "a1", "w1", "b1", "y0"; each value
        has exactly the shape of its variable (dE/dw2 has the shape of w2):

            dE/dy2 = -1/y2[t] at t, 0 elsewhere
            dE/da2 = y2 - onehot(t)
            dE/dw2 = (dE/da2) y1^T          dE/db2 = dE/da2
            dE/dy1 = w2^T (dE/da2)
            dE/da1 = (dE/dy1) * y1 * (1 - y1)
            dE/dw1 = (dE/da1) y0^T          dE/db1 = dE/da1
            dE/dy0 = w1^T (dE/da1)

        If lr != 0: w <- w - lr * dE/dw and b <- b - lr * dE/db for both
        layers, with the gradients returned. With lr == 0 the weights stay
        bit-for-bit the same.

        Graded: keys and shapes, each gradient against finite differences of
        your own forward and against a reference, the update.
        """
        raise NotImplementedError  # your code here
