"""Row vectors (1, M) inside, x @ W.T as in batched frameworks; squeezed back to the contract's shapes."""

import numpy as np


def sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


class Network:
    def setup(self, M0, M1, N, seed=0):
        rng = np.random.default_rng(seed)
        limit1, limit2 = np.sqrt(6 / (M0 + M1)), np.sqrt(6 / (M1 + N))
        self.w1 = rng.uniform(-limit1, limit1, (M1, M0))
        self.b1 = np.zeros(M1)
        self.w2 = rng.uniform(-limit2, limit2, (N, M1))
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        self.x = np.asarray(y0, dtype=np.float64).reshape(1, -1)      # (1, M0)
        self.t = t
        self.h = sigmoid(self.x @ self.w1.T + self.b1[None, :])        # (1, M1)
        z = self.h @ self.w2.T + self.b2[None, :]                      # (1, N)
        z = z - z.max(axis=1, keepdims=True)
        self.logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.p = np.exp(self.logp)
        return float(-self.logp[0, t])

    def backward(self, lr=0.0):
        onehot = np.zeros_like(self.p)
        onehot[0, self.t] = 1
        dp = -onehot / np.exp(self.logp)                               # -1/y2[t] at t
        dz = self.p - onehot                                           # (1, N)
        dW2 = dz.T @ self.h                                            # (N, M1)
        db2 = dz.sum(axis=0)
        dh = dz @ self.w2                                              # (1, M1)
        da = dh * self.h * (1 - self.h)
        dW1 = da.T @ self.x                                            # (M1, M0)
        db1 = da.sum(axis=0)
        dx = da @ self.w1                                              # (1, M0)
        if lr:
            self.w1 = self.w1 - lr * dW1
            self.b1 = self.b1 - lr * db1
            self.w2 = self.w2 - lr * dW2
            self.b2 = self.b2 - lr * db2
        return {"y2": dp[0], "a2": dz[0], "w2": dW2, "b2": db2, "y1": dh[0],
                "a1": da[0], "w1": dW1, "b1": db1, "y0": dx[0]}
