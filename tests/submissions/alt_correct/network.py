# A correct solution written differently from the reference: column vectors
# inside, Xavier-uniform initialisation, scipy-free log-sum-exp by hand,
# NumPy scalars returned, in-place updates.
import numpy as np


def _sigmoid(x):
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


class Network:
    def setup(self, M0, M1, N, seed=0):
        gen = np.random.RandomState(seed)
        lim1 = np.sqrt(6.0 / (M0 + M1))
        lim2 = np.sqrt(6.0 / (M1 + N))
        self.w1 = gen.uniform(-lim1, lim1, (M1, M0))
        self.b1 = np.full(M1, 0.01)
        self.w2 = gen.uniform(-lim2, lim2, (N, M1))
        self.b2 = np.zeros(N)
        self.cache = {}

    def forward(self, y0, t):
        x = y0.reshape(-1, 1)                      # (M0, 1), a view: never written to
        a1 = np.dot(self.w1, x) + self.b1[:, None]
        y1 = _sigmoid(a1)
        a2 = np.dot(self.w2, y1) + self.b2[:, None]
        m = a2.max()
        lse = m + np.log(np.exp(a2 - m).sum())
        y2 = np.exp(a2 - lse)
        self.cache = dict(x=x, a1=a1, y1=y1, a2=a2, y2=y2, t=t, lse=lse)
        return np.float64(lse - a2[t, 0])          # a NumPy scalar, not a Python float

    def backward(self, lr=0.0):
        c = self.cache
        t = c["t"]
        dy2 = np.zeros_like(c["y2"])
        dy2[t] = -1.0 / c["y2"][t]
        da2 = c["y2"].copy()
        da2[t] -= 1.0
        dw2 = da2 @ c["y1"].T
        db2 = da2.sum(axis=1)
        dy1 = self.w2.T @ da2
        da1 = dy1 * c["y1"] * (1 - c["y1"])
        dw1 = da1 @ c["x"].T
        db1 = da1[:, 0]
        dy0 = (self.w1.T @ da1)[:, 0]
        grads = {"y2": dy2[:, 0], "a2": da2[:, 0], "w2": dw2, "b2": db2, "y1": dy1[:, 0],
                 "a1": da1[:, 0], "w1": dw1, "b1": db1.copy(), "y0": dy0}
        if lr:
            self.w1 = self.w1 - lr * grads["w1"]
            self.b1 = self.b1 - lr * grads["b1"]
            self.w2 = self.w2 - lr * grads["w2"]
            self.b2 = self.b2 - lr * grads["b2"]
        return grads
