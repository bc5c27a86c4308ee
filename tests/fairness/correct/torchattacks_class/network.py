"""np.einsum everywhere and a named-tuple cache; np.random.seed + np.random.normal (legacy global API)."""

from collections import namedtuple

import numpy as np

Cache = namedtuple("Cache", "y0 t y1 y2 log_y2")


class Network:
    def setup(self, M0, M1, N, seed=0):
        np.random.seed(seed)
        self.w1 = np.random.normal(0.0, 0.5, (M1, M0))
        self.b1 = np.zeros(M1)
        self.w2 = np.random.normal(0.0, 0.5, (N, M1))
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        y0 = np.array(y0, dtype=np.float64)
        a1 = np.einsum("ij,j->i", self.w1, y0) + self.b1
        y1 = 0.5 + 0.5 * np.tanh(0.5 * a1)
        a2 = np.einsum("ij,j->i", self.w2, y1) + self.b2
        log_y2 = a2 - a2.max() - np.log(np.sum(np.exp(a2 - a2.max())))
        self.cache = Cache(y0, t, y1, np.exp(log_y2), log_y2)
        return -float(log_y2[t])

    def backward(self, lr=0.0):
        y0, t, y1, y2, log_y2 = self.cache
        onehot = np.eye(y2.shape[0])[t]
        da2 = y2 - onehot
        dy1 = np.einsum("ij,i->j", self.w2, da2)
        da1 = dy1 * y1 * (1.0 - y1)
        grads = dict(y2=np.where(onehot > 0, -np.exp(-log_y2), 0.0), a2=da2,
                     w2=np.einsum("i,j->ij", da2, y1), b2=da2, y1=dy1, a1=da1,
                     w1=np.einsum("i,j->ij", da1, y0), b1=da1, y0=np.einsum("ij,i->j", self.w1, da1))
        if lr != 0.0:
            self.w1 = self.w1 - lr * grads["w1"]
            self.b1 = self.b1 - lr * grads["b1"]
            self.w2 = self.w2 - lr * grads["w2"]
            self.b2 = self.b2 - lr * grads["b2"]
        return grads
