"""Real setup; forward returns the sum of all weights; backward returns that sum's gradients (ones for the weights, zeros elsewhere) and steps with them."""

import numpy as np


class Network:
    def setup(self, M0, M1, N, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = rng.normal(0, 1 / np.sqrt(M0), (M1, M0))
        self.b1 = np.zeros(M1)
        self.w2 = rng.normal(0, 1 / np.sqrt(M1), (N, M1))
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        self.y0 = np.array(y0, dtype=np.float64)
        return float(self.w1.sum() + self.b1.sum() + self.w2.sum() + self.b2.sum())

    def backward(self, lr=0.0):
        n, m1 = self.w2.shape
        g = {"y2": np.zeros(n), "a2": np.zeros(n), "w2": np.ones((n, m1)), "b2": np.ones(n),
             "y1": np.zeros(m1), "a1": np.zeros(m1), "w1": np.ones(self.w1.shape), "b1": np.ones(m1),
             "y0": np.zeros(self.y0.shape)}
        if lr != 0:
            for k in ("w1", "b1", "w2", "b2"):
                setattr(self, k, getattr(self, k) - lr * g[k])
        return g
