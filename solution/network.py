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
        # BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        self.w1 = rng.normal(0.0, 1.0 / np.sqrt(M0), size=(M1, M0))
        self.b1 = np.zeros(M1)
        self.w2 = rng.normal(0.0, 1.0 / np.sqrt(M1), size=(N, M1))
        self.b2 = np.zeros(N)
        # END SOLUTION

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
        # BEGIN SOLUTION
        self.y0 = np.array(y0, dtype=np.float64)
        self.t = int(t)
        self.a1 = self.w1 @ self.y0 + self.b1
        self.y1 = 0.5 * (1.0 + np.tanh(0.5 * self.a1))  # sigmoid, stable both ways
        self.a2 = self.w2 @ self.y1 + self.b2
        shifted = self.a2 - np.max(self.a2)
        log_y2 = shifted - np.log(np.sum(np.exp(shifted)))
        self.y2 = np.exp(log_y2)
        self.E = float(-log_y2[self.t])
        return self.E
        # END SOLUTION

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
        # BEGIN SOLUTION
        onehot = np.zeros_like(self.y2)
        onehot[self.t] = 1.0
        dy2 = np.zeros_like(self.y2)
        dy2[self.t] = -np.exp(self.E)  # -1 / y2[t], without dividing by an underflowed y2[t]
        da2 = self.y2 - onehot
        dw2 = np.outer(da2, self.y1)
        db2 = da2.copy()
        dy1 = self.w2.T @ da2
        da1 = dy1 * self.y1 * (1.0 - self.y1)
        dw1 = np.outer(da1, self.y0)
        db1 = da1.copy()
        dy0 = self.w1.T @ da1
        # stage: update (for validate --mutants: the step is the update's)
        if lr != 0:
            self.w1 = self.w1 - lr * dw1
            self.b1 = self.b1 - lr * db1
            self.w2 = self.w2 - lr * dw2
            self.b2 = self.b2 - lr * db2
        return {"y2": dy2, "a2": da2, "w2": dw2, "b2": db2, "y1": dy1,
                "a1": da1, "w1": dw1, "b1": db1, "y0": dy0}
        # END SOLUTION
