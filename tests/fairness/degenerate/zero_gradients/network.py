"""Real setup and forward; backward returns zeros of the right shapes and never steps."""

import numpy as np


class Network:
    def setup(self, M0, M1, N, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = rng.normal(0, 1 / np.sqrt(M0), (M1, M0))
        self.b1 = np.zeros(M1)
        self.w2 = rng.normal(0, 1 / np.sqrt(M1), (N, M1))
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        self.y0, self.t = np.array(y0, dtype=np.float64), t
        self.a1 = self.w1 @ self.y0 + self.b1
        self.y1 = 1 / (1 + np.exp(-self.a1))
        self.a2 = self.w2 @ self.y1 + self.b2
        z = self.a2 - self.a2.max()
        self.log_y2 = z - np.log(np.exp(z).sum())
        self.y2 = np.exp(self.log_y2)
        return float(-self.log_y2[t])

    def backward(self, lr=0.0):
        m1, m0 = self.w1.shape
        n = self.w2.shape[0]
        return {"y2": np.zeros(n), "a2": np.zeros(n), "w2": np.zeros((n, m1)), "b2": np.zeros(n),
                "y1": np.zeros(m1), "a1": np.zeros(m1), "w1": np.zeros((m1, m0)), "b1": np.zeros(m1),
                "y0": np.zeros(m0)}
