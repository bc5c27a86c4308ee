"""The usual student mistakes, as small patches of the reference solution.

Each names the stage it belongs to, the other stages it may also cost (a
forward bug changes what backward differentiates), and words its feedback
must contain. ``validate`` and the project's tests grade every one of them
through the real engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Bug:
    name: str
    stage: str
    file: str
    old: str
    new: str
    hint: str                      # the feedback of some failed test in `stage` contains this
    touches: tuple = field(default=())  # other stages allowed to lose points (each with its reason below)
    more: tuple = field(default=())     # further (old, new) edits of the same file

    def apply(self, solution: Path) -> dict:
        """name -> patched source of every submitted file."""
        files = {p.name: p.read_text() for p in sorted(solution.glob("*.py"))}
        source = files[self.file]
        for old, new in ((self.old, self.new), *self.more):
            if source.count(old) != 1:
                raise ValueError(f"bug {self.name}: the patched text occurs {source.count(old)} times in {self.file}")
            source = source.replace(old, new)
        files[self.file] = source
        return files


N, A = "network.py", "attack.py"

BUGS = [
    # -- setup ------------------------------------------------------------------
    Bug("setup_transposed_w1", "setup", N, "size=(M1, M0))", "size=(M0, M1))", "transposed"),
    Bug("setup_constant_weights", "setup", N,
        "self.w1 = rng.normal(0.0, 1.0 / np.sqrt(M0), size=(M1, M0))", "self.w1 = np.full((M1, M0), 0.1)",
        "same thing"),
    Bug("setup_unseeded", "setup", N, "rng = np.random.default_rng(seed)", "rng = np.random.default_rng()",
        "depend only on seed"),
    Bug("setup_float32", "setup", N, "self.b1 = np.zeros(M1)", "self.b1 = np.zeros(M1, dtype=np.float32)",
        "dtype"),
    # -- forward ----------------------------------------------------------------
    Bug("forward_missing_b2", "forward", N, "self.a2 = self.w2 @ self.y1 + self.b2", "self.a2 = self.w2 @ self.y1",
        "b2 seems to be missing", ("backward",)),  # E ignores b2: not the network, its gradients unjudgeable
    Bug("forward_missing_b1", "forward", N, "self.a1 = self.w1 @ self.y0 + self.b1", "self.a1 = self.w1 @ self.y0",
        "b1 seems to be missing", ("backward",)),  # E ignores b1: likewise
    Bug("forward_unstable_softmax", "forward", N, "shifted = self.a2 - np.max(self.a2)", "shifted = self.a2",
        "log-sum-exp"),
    Bug("forward_returns_array", "forward", N, "self.E = float(-log_y2[self.t])\n        return self.E",
        "self.E = float(-log_y2[self.t])\n        return -log_y2[[self.t]]", "received an array of shape (1,)"),
    Bug("forward_modifies_input", "forward", N, "        self.y2 = np.exp(log_y2)\n",
        "        self.y2 = np.exp(log_y2)\n        y0 *= 0.5\n", "changed the input y0 in place"),
    Bug("forward_log_without_minus", "forward", N, "self.E = float(-log_y2[self.t])", "self.E = float(log_y2[self.t])",
        "note the minus", ("backward",)),  # backward's dE/dy2 = -exp(E) is then wrong for either E
    # -- backward ---------------------------------------------------------------
    Bug("backward_sigmoid_derivative", "backward", N, "da1 = dy1 * self.y1 * (1.0 - self.y1)",
        "da1 = dy1 * self.a1 * (1.0 - self.a1)", "sigmoid(a1)"),
    Bug("backward_transposed_dw2", "backward", N, "dw2 = np.outer(da2, self.y1)", "dw2 = np.outer(self.y1, da2)",
        "transposed", ("update",)),  # w2 - lr * dw2 then fails on shapes
    Bug("backward_missing_db1", "backward", N, '"a1": da1, "w1": dw1, "b1": db1, "y0": dy0}',
        '"a1": da1, "w1": dw1, "y0": dy0}', "no key 'b1'", ("update",)),  # b1's step has no gradient to check
    Bug("backward_no_onehot", "backward", N, "da2 = self.y2 - onehot", "da2 = self.y2.copy()",
        "y2 - onehot(t)"),
    Bug("backward_dy2_sign", "backward", N, "dy2[self.t] = -np.exp(self.E)", "dy2[self.t] = np.exp(self.E)",
        "sign is flipped"),
    Bug("backward_factor_two", "backward", N, "da2 = self.y2 - onehot", "da2 = 2.0 * (self.y2 - onehot)",
        "constant factor"),
    Bug("backward_dy0_skips_sigmoid", "backward", N, "dy0 = self.w1.T @ da1", "dy0 = self.w1.T @ dy1",
        "dE/dy0 = w1^T (dE/da1)"),
    # -- update -----------------------------------------------------------------
    Bug("update_wrong_sign", "update", N, "self.w1 = self.w1 - lr * dw1", "self.w1 = self.w1 + lr * dw1",
        "moved up the gradient"),
    Bug("update_skips_biases", "update", N,
        "self.b1 = self.b1 - lr * db1", "pass", "b1 was not updated"),
    Bug("update_double_step", "update", N, "self.w2 = self.w2 - lr * dw2", "self.w2 = self.w2 - 2 * lr * dw2",
        "took the step twice"),
    Bug("update_second_layer_only", "update", N,
        "self.w1 = self.w1 - lr * dw1\n            self.b1 = self.b1 - lr * db1\n            self.w2",
        "self.w2", "w1 was not updated"),
    # -- attack -----------------------------------------------------------------
    Bug("attack_wrong_sign", "attack", A, "return _pgd(net, y0, t, eps, p, steps, step_size, +1.0)",
        "return _pgd(net, y0, t, eps, p, steps, step_size, -1.0)", "wrong way"),
    Bug("attack_no_projection", "attack", A, "y = np.clip(y0 + _project(y - y0, eps, p), 0.0, 1.0)",
        "y = np.clip(y, 0.0, 1.0)", "left the budget"),
    Bug("attack_no_clipping", "attack", A, "y = np.clip(y0 + _project(y - y0, eps, p), 0.0, 1.0)",
        "y = y0 + _project(y - y0, eps, p)", "outside [0, 1]"),
    Bug("attack_l2_as_linf", "attack", A, "    if p == np.inf:\n        return np.sign(grad)",
        "    if True:\n        return np.sign(grad)", "not its sign"),
    Bug("attack_mutates_input", "attack", A, "    y = y0.copy()\n", "    y = y0\n", "in place",
        more=(("y = y + sign * step_size * _direction(grad, p)", "y += sign * step_size * _direction(grad, p)"),)),
    Bug("attack_moves_weights", "attack", A, 'grad = net.backward(0.0)["y0"]', 'grad = net.backward(0.01)["y0"]',
        "change the network"),
    Bug("lp_norm_no_abs", "attack", A, "a = np.abs(np.asarray(x, dtype=np.float64)).ravel()",
        "a = np.asarray(x, dtype=np.float64).ravel()", "lp_norm"),
]

STAGES = ("setup", "forward", "backward", "update", "attack")


def by_name(name: str) -> Bug:
    return next(b for b in BUGS if b.name == name)
