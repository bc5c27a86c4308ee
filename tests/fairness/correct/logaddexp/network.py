"""log-sum-exp via np.logaddexp.reduce, sigmoid via np.exp(-np.logaddexp(0, -a)), E returned as np.float64; fused dE/da2."""

import numpy as np


class Network:
    def setup(self, M0, M1, N, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = rng.normal(scale=0.1, size=(M1, M0))
        self.b1 = rng.normal(scale=0.01, size=M1)
        self.w2 = rng.normal(scale=0.1, size=(N, M1))
        self.b2 = rng.normal(scale=0.01, size=N)

    def forward(self, y0, t):
        self.y0 = np.array(y0, dtype=np.float64)
        self.t = t
        self.a1 = self.w1 @ self.y0 + self.b1
        self.y1 = np.exp(-np.logaddexp(0.0, -self.a1))
        self.a2 = self.w2 @ self.y1 + self.b2
        self.log_y2 = self.a2 - np.logaddexp.reduce(self.a2)
        self.y2 = np.exp(self.log_y2)
        return np.float64(-self.log_y2[t])

    def backward(self, lr=0.0):
        e_t = np.eye(len(self.y2))[self.t]
        dy2 = -e_t * np.exp(-self.log_y2)           # dE/dy2, for the record
        da2 = self.y2 - e_t                          # fused softmax + cross-entropy
        dy1 = self.w2.T @ da2
        da1 = dy1 * self.y1 * (1 - self.y1)
        g = {"y2": dy2, "a2": da2, "w2": np.outer(da2, self.y1), "b2": da2, "y1": dy1,
             "a1": da1, "w1": np.outer(da1, self.y0), "b1": da1, "y0": self.w1.T @ da1}
        if lr != 0:
            self.w1, self.b1 = self.w1 - lr * g["w1"], self.b1 - lr * g["b1"]
            self.w2, self.b2 = self.w2 - lr * g["w2"], self.b2 - lr * g["b2"]
        return g
