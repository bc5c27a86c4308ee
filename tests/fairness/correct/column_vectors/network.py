"""Column vectors (M, 1) and a cache dict, as in Andrew Ng's deeplearning.ai assignments; legacy np.random.seed + randn."""

import numpy as np


class Network:
    def setup(self, M0, M1, N, seed=0):
        np.random.seed(seed)
        self.w1 = np.random.randn(M1, M0) * 0.01
        self.b1 = np.zeros(M1)
        self.w2 = np.random.randn(N, M1) * 0.01
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        A0 = np.array(y0, dtype=np.float64).reshape(-1, 1)
        Z1 = np.dot(self.w1, A0) + self.b1.reshape(-1, 1)
        A1 = 1 / (1 + np.exp(-Z1))
        Z2 = np.dot(self.w2, A1) + self.b2.reshape(-1, 1)
        Z2_shift = Z2 - np.max(Z2)
        log_A2 = Z2_shift - np.log(np.sum(np.exp(Z2_shift)))
        A2 = np.exp(log_A2)
        self.cache = {"A0": A0, "A1": A1, "A2": A2, "log_A2": log_A2, "t": t}
        return float(-log_A2[t, 0])

    def backward(self, lr=0.0):
        c = self.cache
        Y = np.zeros_like(c["A2"])
        Y[c["t"]] = 1
        dA2 = np.where(Y == 1, -np.exp(-c["log_A2"]), 0.0)
        dZ2 = c["A2"] - Y
        dW2 = np.dot(dZ2, c["A1"].T)
        db2 = np.sum(dZ2, axis=1)
        dA1 = np.dot(self.w2.T, dZ2)
        dZ1 = dA1 * c["A1"] * (1 - c["A1"])
        dW1 = np.dot(dZ1, c["A0"].T)
        db1 = np.sum(dZ1, axis=1)
        dA0 = np.dot(self.w1.T, dZ1)
        if lr != 0:
            self.w1 = self.w1 - lr * dW1
            self.b1 = self.b1 - lr * db1
            self.w2 = self.w2 - lr * dW2
            self.b2 = self.b2 - lr * db2
        return {"y2": dA2.ravel(), "a2": dZ2.ravel(), "w2": dW2, "b2": db2, "y1": dA1.ravel(),
                "a1": dZ1.ravel(), "w1": dW1, "b1": db1, "y0": dA0.ravel()}
