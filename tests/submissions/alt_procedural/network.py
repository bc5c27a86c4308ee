# A third correct solution, in a procedural style: helpers at module level, a cache dict,
# explicit loops where the others vectorise.
import math

import numpy as np


def logistic(v):
    return np.array([1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x)) for x in v])


def log_softmax(z):
    top = max(z)
    total = sum(math.exp(x - top) for x in z)
    return np.array([x - top - math.log(total) for x in z])


def outer(u, v):
    out = np.zeros((len(u), len(v)))
    for i in range(len(u)):
        out[i, :] = u[i] * v
    return out


class Network:
    def setup(self, M0, M1, N, seed=0):
        g = np.random.Generator(np.random.PCG64(seed))
        self.w1 = g.standard_normal((M1, M0)) * 0.1
        self.b1 = g.standard_normal(M1) * 0.01
        self.w2 = g.standard_normal((N, M1)) * 0.1
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        x = np.asarray(y0, dtype=float)
        hidden_in = self.w1.dot(x) + self.b1
        hidden = logistic(hidden_in)
        scores = self.w2.dot(hidden) + self.b2
        lp = log_softmax(scores)
        self.mem = {"x": x.copy(), "h": hidden, "p": np.exp(lp), "t": int(t), "lp": lp}
        return float(-lp[int(t)])

    def backward(self, lr=0.0):
        m = self.mem
        t = m["t"]
        g_y2 = np.zeros(len(m["p"]))
        g_y2[t] = -math.exp(-m["lp"][t])
        g_a2 = m["p"] - np.eye(len(m["p"]))[t]
        g_w2 = outer(g_a2, m["h"])
        g_y1 = np.dot(self.w2.T, g_a2)
        g_a1 = g_y1 * m["h"] * (1.0 - m["h"])
        g_w1 = outer(g_a1, m["x"])
        g_y0 = np.dot(self.w1.T, g_a1)
        result = dict(y2=g_y2, a2=g_a2, w2=g_w2, b2=g_a2.copy(), y1=g_y1, a1=g_a1, w1=g_w1, b1=g_a1.copy(), y0=g_y0)
        if lr != 0:
            for name in ("w1", "b1", "w2", "b2"):
                setattr(self, name, getattr(self, name) - lr * result[name])
        return result
