# my network (copied from alt_correct with names changed and functions reordered: the similarity test's plagiarist)
import numpy as np


class Network:
    def setup(self, M0, M1, N, seed=0):
        random_state = np.random.RandomState(seed)
        bound_a = np.sqrt(6.0 / (M0 + M1))
        bound_b = np.sqrt(6.0 / (M1 + N))
        self.w1 = random_state.uniform(-bound_a, bound_a, (M1, M0))
        self.b1 = np.full(M1, 0.01)
        self.w2 = random_state.uniform(-bound_b, bound_b, (N, M1))
        self.b2 = np.zeros(N)
        self.saved = {}

    def backward(self, lr=0.0):
        c = self.saved
        t = c["t"]
        grad_out = np.zeros_like(c["probs"])
        grad_out[t] = -1.0 / c["probs"][t]
        grad_pre2 = c["probs"].copy()
        grad_pre2[t] -= 1.0
        grad_w2 = grad_pre2 @ c["act1"].T
        grad_b2 = grad_pre2.sum(axis=1)
        grad_act1 = self.w2.T @ grad_pre2
        grad_pre1 = grad_act1 * c["act1"] * (1 - c["act1"])
        grad_w1 = grad_pre1 @ c["x"].T
        grad_b1 = grad_pre1[:, 0]
        grad_in = (self.w1.T @ grad_pre1)[:, 0]
        everything = {"y2": grad_out[:, 0], "a2": grad_pre2[:, 0], "w2": grad_w2, "b2": grad_b2, "y1": grad_act1[:, 0],
                 "a1": grad_pre1[:, 0], "w1": grad_w1, "b1": grad_b1.copy(), "y0": grad_in}
        if lr:
            self.w1 = self.w1 - lr * everything["w1"]
            self.b1 = self.b1 - lr * everything["b1"]
            self.w2 = self.w2 - lr * everything["w2"]
            self.b2 = self.b2 - lr * everything["b2"]
        return everything


    def forward(self, y0, t):
        x = y0.reshape(-1, 1)                      # (M0, 1), a view: never written to
        pre1 = np.dot(self.w1, x) + self.b1[:, None]
        act1 = squash(pre1)
        pre2 = np.dot(self.w2, act1) + self.b2[:, None]
        m = pre2.max()
        logz = m + np.log(np.exp(pre2 - m).sum())
        probs = np.exp(pre2 - logz)
        self.saved = dict(x=x, pre1=pre1, act1=act1, pre2=pre2, probs=probs, t=t, logz=logz)
        return np.float64(logz - pre2[t, 0])          # a NumPy scalar, not a Python float

def squash(x):
    out = np.empty_like(x)
    mask = x >= 0
    out[mask] = 1.0 / (1.0 + np.exp(-x[mask]))
    e = np.exp(x[~mask])
    out[~mask] = e / (1.0 + e)
    return out
