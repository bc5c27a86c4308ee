"""Layer objects with their own forward/backward (Linear, Sigmoid, SoftmaxCrossEntropy), as in CS231n / d2l style."""

import numpy as np


class Linear:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return self.W @ x + self.b

    def backward(self, dout):
        self.dW = np.outer(dout, self.x)
        self.db = dout.copy()
        return self.W.T @ dout

    def step(self, lr):
        self.W = self.W - lr * self.dW
        self.b = self.b - lr * self.db


class Sigmoid:
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class SoftmaxCrossEntropy:
    def forward(self, logits, t):
        shifted = logits - logits.max()
        self.log_probs = shifted - np.log(np.exp(shifted).sum())
        self.probs = np.exp(self.log_probs)
        self.t = t
        return -self.log_probs[t]

    def backward(self):
        """(dE/dprobs, dE/dlogits)."""
        dprobs = np.zeros_like(self.probs)
        dprobs[self.t] = -np.exp(-self.log_probs[self.t])
        dlogits = self.probs.copy()
        dlogits[self.t] -= 1.0
        return dprobs, dlogits


class Network:
    def setup(self, M0, M1, N, seed=0):
        rng = np.random.default_rng(seed)
        self.fc1 = Linear(rng.standard_normal((M1, M0)) * np.sqrt(2.0 / (M0 + M1)), np.zeros(M1))
        self.act = Sigmoid()
        self.fc2 = Linear(rng.standard_normal((N, M1)) * np.sqrt(2.0 / (M1 + N)), np.zeros(N))
        self.loss = SoftmaxCrossEntropy()

    w1 = property(lambda self: self.fc1.W, lambda self, v: setattr(self.fc1, "W", v))
    b1 = property(lambda self: self.fc1.b, lambda self, v: setattr(self.fc1, "b", v))
    w2 = property(lambda self: self.fc2.W, lambda self, v: setattr(self.fc2, "W", v))
    b2 = property(lambda self: self.fc2.b, lambda self, v: setattr(self.fc2, "b", v))

    def forward(self, y0, t):
        self.y0 = np.array(y0, dtype=float)
        self.a1 = self.fc1.forward(self.y0)
        self.y1 = self.act.forward(self.a1)
        self.a2 = self.fc2.forward(self.y1)
        E = self.loss.forward(self.a2, t)
        self.y2 = self.loss.probs
        return float(E)

    def backward(self, lr=0.0):
        dy2, da2 = self.loss.backward()
        dy1 = self.fc2.backward(da2)
        da1 = self.act.backward(dy1)
        dy0 = self.fc1.backward(da1)
        grads = {"y2": dy2, "a2": da2, "w2": self.fc2.dW, "b2": self.fc2.db, "y1": dy1,
                 "a1": da1, "w1": self.fc1.dW, "b1": self.fc1.db, "y0": dy0}
        if lr != 0:
            self.fc1.step(lr)
            self.fc2.step(lr)
        return grads
