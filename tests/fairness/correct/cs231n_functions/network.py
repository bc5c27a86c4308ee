"""Module-level *_forward/*_backward functions returning (out, cache), as in CS231n's layers.py; legacy np.random.RandomState."""

import numpy as np


def affine_forward(x, w, b):
    return w.dot(x) + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return w.T.dot(dout), np.outer(dout, x), dout


def sigmoid_forward(x):
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1.0 - cache)


def softmax_loss(scores, t):
    shifted = scores - np.max(scores)
    log_probs = shifted - np.log(np.sum(np.exp(shifted)))
    probs = np.exp(log_probs)
    dscores = probs.copy()
    dscores[t] -= 1.0
    dprobs = np.zeros_like(probs)
    dprobs[t] = -1.0 / probs[t]
    return -log_probs[t], dscores, dprobs


class Network:
    def setup(self, M0, M1, N, seed=0):
        rs = np.random.RandomState(seed)
        self.w1 = 1e-1 * rs.randn(M1, M0)
        self.b1 = np.zeros(M1)
        self.w2 = 1e-1 * rs.randn(N, M1)
        self.b2 = np.zeros(N)

    def forward(self, y0, t):
        a1, self.fc1_cache = affine_forward(np.asarray(y0, dtype=np.float64), self.w1, self.b1)
        y1, self.sig_cache = sigmoid_forward(a1)
        a2, self.fc2_cache = affine_forward(y1, self.w2, self.b2)
        loss, self.dscores, self.dprobs = softmax_loss(a2, t)
        return float(loss)

    def backward(self, lr=0.0):
        grads = {"y2": self.dprobs, "a2": self.dscores}
        grads["y1"], grads["w2"], grads["b2"] = affine_backward(self.dscores, self.fc2_cache)
        grads["a1"] = sigmoid_backward(grads["y1"], self.sig_cache)
        grads["y0"], grads["w1"], grads["b1"] = affine_backward(grads["a1"], self.fc1_cache)
        if lr != 0:
            for p in ("w1", "b1", "w2", "b2"):
                setattr(self, p, getattr(self, p) - lr * grads[p])
        return grads
