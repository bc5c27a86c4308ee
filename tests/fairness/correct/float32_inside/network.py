"""float32 arithmetic inside (as GPU frameworks default to), float64 returned and weights kept float64."""

import numpy as np

F = np.float32


class Network:
    def setup(self, M0, M1, N, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = (rng.standard_normal((M1, M0), dtype=F) / np.sqrt(M0)).astype(np.float64)
        self.b1 = np.zeros(M1)
        self.w2 = (rng.standard_normal((N, M1), dtype=F) / np.sqrt(M1)).astype(np.float64)
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        self.t = t
        self.x = np.asarray(y0).astype(F)
        w1, b1, w2, b2 = (v.astype(F) for v in (self.w1, self.b1, self.w2, self.b2))
        self.a1 = w1 @ self.x + b1
        self.y1 = F(1) / (F(1) + np.exp(-self.a1))
        self.a2 = w2 @ self.y1 + b2
        z = self.a2 - self.a2.max()
        self.logp = z - np.log(np.exp(z).sum())
        self.y2 = np.exp(self.logp)
        return float(-self.logp[t])

    def backward(self, lr=0.0):
        w1, w2 = self.w1.astype(F), self.w2.astype(F)
        dy2 = np.zeros_like(self.y2)
        dy2[self.t] = -np.exp(-self.logp[self.t])
        da2 = self.y2.copy()
        da2[self.t] -= 1
        dy1 = w2.T @ da2
        da1 = dy1 * self.y1 * (1 - self.y1)
        grads = {"y2": dy2, "a2": da2, "w2": np.outer(da2, self.y1), "b2": da2, "y1": dy1,
                 "a1": da1, "w1": np.outer(da1, self.x), "b1": da1, "y0": w1.T @ da1}
        grads = {k: v.astype(np.float64) for k, v in grads.items()}
        if lr != 0:
            for name in ("w1", "b1", "w2", "b2"):
                setattr(self, name, getattr(self, name) - lr * grads[name])
        return grads
