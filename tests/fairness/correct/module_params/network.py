"""PyTorch-nn.Module-like: parameters live in self.params, reached through __getattr__/__setattr__; in-place SGD step."""

import numpy as np

PARAMS = ("w1", "b1", "w2", "b2")


class Network:
    def __init__(self):
        object.__setattr__(self, "params", {})

    def __getattr__(self, name):
        if name in PARAMS and name in self.params:
            return self.params[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in PARAMS:
            self.params[name] = np.array(value, dtype=np.float64)
        else:
            object.__setattr__(self, name, value)

    def setup(self, M0, M1, N, seed=0):
        gen = np.random.default_rng(seed)
        self.w1 = gen.normal(0, np.sqrt(1 / M0), (M1, M0))
        self.b1 = np.zeros(M1)
        self.w2 = gen.normal(0, np.sqrt(1 / M1), (N, M1))
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        P = self.params
        self.saved = {"y0": np.array(y0, dtype=np.float64), "t": t}
        a1 = P["w1"] @ self.saved["y0"] + P["b1"]
        y1 = 0.5 * (1 + np.tanh(a1 / 2))
        a2 = P["w2"] @ y1 + P["b2"]
        m = a2.max()
        lse = m + np.log(np.exp(a2 - m).sum())
        self.saved.update(y1=y1, y2=np.exp(a2 - lse), E=lse - a2[t])
        return float(lse - a2[t])

    def backward(self, lr=0.0):
        P, s = self.params, self.saved
        t, y0, y1, y2 = s["t"], s["y0"], s["y1"], s["y2"]
        grads = {"y2": np.zeros_like(y2)}
        grads["y2"][t] = -np.exp(s["E"])
        grads["a2"] = y2 - (np.arange(y2.size) == t)
        grads["w2"] = grads["a2"][:, None] * y1[None, :]
        grads["b2"] = grads["a2"].copy()
        grads["y1"] = P["w2"].T @ grads["a2"]
        grads["a1"] = grads["y1"] * y1 * (1 - y1)
        grads["w1"] = grads["a1"][:, None] * y0[None, :]
        grads["b1"] = grads["a1"].copy()
        grads["y0"] = P["w1"].T @ grads["a1"]
        for name in PARAMS:
            P[name] -= lr * grads[name]
        return grads
