"""A forward that returns the loss plus an L2 penalty on every parameter (as micrograd's demo adds
alpha * sum(p * p)), and the exact gradients of that E: the penalty is forward's mistake only."""

import numpy as np

LAMBDA = 1e-3


class Network:
    def setup(self, M0, M1, N, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = rng.normal(0, 1 / np.sqrt(M0), (M1, M0))
        self.b1 = np.zeros(M1)
        self.w2 = rng.normal(0, 1 / np.sqrt(M1), (N, M1))
        self.b2 = np.zeros(N)

    def _params(self):
        return {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2}

    def forward(self, y0, t):
        self.y0, self.t = np.array(y0, dtype=np.float64), int(t)
        self.y1 = 1 / (1 + np.exp(-(self.w1 @ self.y0 + self.b1)))
        a2 = self.w2 @ self.y1 + self.b2
        z = a2 - a2.max()
        log_y2 = z - np.log(np.exp(z).sum())
        self.y2 = np.exp(log_y2)
        penalty = LAMBDA * sum(float(np.sum(p * p)) for p in self._params().values())
        return float(-log_y2[self.t] + penalty)

    def backward(self, lr=0.0):
        dy2 = np.zeros_like(self.y2)
        dy2[self.t] = -1 / self.y2[self.t]
        da2 = self.y2.copy()
        da2[self.t] -= 1
        dy1 = self.w2.T @ da2
        da1 = dy1 * self.y1 * (1 - self.y1)
        g = {"y2": dy2, "a2": da2, "y1": dy1, "a1": da1, "y0": self.w1.T @ da1,
             "w2": np.outer(da2, self.y1), "b2": da2.copy(), "w1": np.outer(da1, self.y0), "b1": da1.copy()}
        for k, p in self._params().items():
            g[k] = g[k] + 2 * LAMBDA * p  # the penalty's gradient: E's exact gradient
        if lr:
            for k in ("w1", "b1", "w2", "b2"):
                setattr(self, k, getattr(self, k) - lr * g[k])
        return g
