"""Real setup and forward; backward returns random arrays of the right shapes and steps with them."""

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
        rng = np.random.default_rng(1)
        shapes = {"y2": self.y2.shape, "a2": self.a2.shape, "w2": self.w2.shape, "b2": self.b2.shape,
                  "y1": self.y1.shape, "a1": self.a1.shape, "w1": self.w1.shape, "b1": self.b1.shape,
                  "y0": self.y0.shape}
        g = {k: rng.standard_normal(s) for k, s in shapes.items()}
        if lr != 0:
            for k in ("w1", "b1", "w2", "b2"):
                setattr(self, k, getattr(self, k) - lr * g[k])
        return g
