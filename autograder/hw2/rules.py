"""Every sentence of the handout that says what a function must do, and the tests that grade it.

The handout's docstrings (generated from solution/) and its README's rules are cut into
sentences by ``handout_sentences``; each must appear below, mapped to the numbers of the tests
that check it, or to no test with the reason none is needed. tests/test_rules.py fails when a
sentence is added to the handout without a line here, when a line names a test that does not
exist, or when a line's sentence is no longer in the handout.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

RULES = {
    # network.py
    ("network.py:module", "Homework 2: a network with one hidden layer, in NumPy."): "a title: it asks nothing of the code",
    ("network.py:module", "Notation (from the recitation), one sample at a time: y0 = y_{L-2} input, shape (M0,) "
     "a1 = w1 @ y0 + b1 a_{L-1}, shape (M1,) y1 = sigmoid(a1) y_{L-1}, shape (M1,) a2 = w2 @ y1 + b2 a_L, shape "
     "(N,) y2 = softmax(a2) y_L, shape (N,) E = -ln y2[t] cross-entropy for the true class t Weights: w1 (M1, M0), "
     "b1 (M1,), w2 (N, M1), b2 (N,), all float64."): ("1.1", "1.3", "2.1", "2.4", "3.1"),
    ("network.py:setup", "Create self.w1 (M1, M0), self.b1 (M1,), self.w2 (N, M1), self.b2 (N,). float64 and "
     "finite; the weights must break symmetry (not all equal), and the same `seed` must give the same values."):
        ("1.1", "1.2", "1.3"),
    ("network.py:setup", "Small random weights (e.g. normal with standard deviation 1/sqrt(fan_in)); biases may "
     "be 0."): "a suggestion: the initialisation is the student's choice (the contract), so no test may depend on it",
    ("network.py:forward", "Return E = -ln y2[t] for the input y0 (M0,) and the true class t."):
        ("2.1", "2.4", "2.6", "2.7"),
    ("network.py:forward", "Computes a1, y1 = sigmoid(a1), a2, y2 = softmax(a2) with whatever self.w1, self.b1, "
     "self.w2, self.b2 hold (the grader may set them), and keeps on `self` what backward needs."):
        ("2.1", "2.4", "2.6", "2.7", "3.2", "3.6", "3.7"),
    ("network.py:forward", "Must not modify y0."): ("2.3",),
    ("network.py:forward", "Returns a Python float or NumPy float scalar, not an array."): ("2.2",),
    ("network.py:forward", "Must stay finite for logits a2 in the hundreds: use a stable softmax / log-sum-exp."):
        ("2.5",),
    ("network.py:backward", "Return the gradients of E from the last forward, then step."):
        ("3.2", "3.5", "3.6", "3.7", "4.1"),
    ("network.py:backward", 'Keys "y2", "a2", "w2", "b2", "y1", "a1", "w1", "b1", "y0"; each value has exactly the '
     "shape of its variable (dE/dw2 has the shape of w2): dE/dy2 = -1/y2[t] at t, 0 elsewhere dE/da2 = y2 - "
     "onehot(t) dE/dw2 = (dE/da2) y1^T dE/db2 = dE/da2 dE/dy1 = w2^T (dE/da2) dE/da1 = (dE/dy1) * y1 * (1 - y1) "
     "dE/dw1 = (dE/da1) y0^T dE/db1 = dE/da1 dE/dy0 = w1^T (dE/da1) If lr != 0: w <- w - lr * dE/dw and b <- b - "
     "lr * dE/db for both layers, with the gradients returned."): ("3.1", "3.2", "3.4", "4.1", "4.2", "4.3"),
    ("network.py:backward", "With lr == 0 the weights stay bit-for-bit the same."): ("3.3",),
    # attack.py
    ("attack.py:module", "Homework 2: adversarial attacks on a trained network."): "a title: it asks nothing of the code",
    ("attack.py:module", "The model is fixed; the input moves."): ("5.4",),
    ("attack.py:module", "Both attacks take projected gradient steps on the input y0 using the network's own "
     'forward(y, t) and backward(lr=0)["y0"] (that is, dE/dy0): untargeted: y <- y + step * direction(dE/dy for '
     "the true class t) targeted: y <- y - step * direction(dE/dy for the chosen class target) then, after every "
     "step, project y onto the ball lp_norm(y - y0, p) <= eps and clip y to [0, 1]."):
        ("5.3", "5.4", "5.5", "5.6", "5.8", "5.9"),
    ("attack.py:lp_norm", "(sum |x_i|^p)^(1/p) over all entries of x, whatever its shape. p >= 1, or np.inf for "
     "max |x_i|."): ("5.1", "5.2"),
    ("attack.py:lp_norm", "An image of shape (32, 32, 3) counts 32*32*3 entries."): ("5.2",),
    ("attack.py:lp_norm", "Returns a float."): ("5.1",),
    ("attack.py:untargeted_attack", "Move y0 to raise E for its true class t, within lp_norm(y - y0, p) <= eps. p "
     "is np.inf (step along sign(dE/dy0)) or 2 (step along dE/dy0 divided by its L2 norm). step_size=None means "
     "2.5 * eps / steps."): ("5.4", "5.5", "5.8", "5.9"),
    ("attack.py:untargeted_attack", "After every step, project onto the eps-ball around y0, then clip to [0, 1]."):
        ("5.4", "5.6", "5.9"),
    ("attack.py:untargeted_attack", "With steps=1, step_size=eps, p=np.inf this is exactly FGSM: clip(y0 + eps * "
     "sign(dE/dy0), 0, 1)."): ("5.3",),
    ("attack.py:untargeted_attack", "Returns a new float64 array of y0's shape."): ("5.4",),
    ("attack.py:untargeted_attack", "Must not modify y0 nor change the network's weights (use backward(0.0))."):
        ("5.4",),
    ("attack.py:targeted_attack", "Move y0 to lower E for the chosen wrong class `target`, within the budget."):
        ("5.4", "5.5", "5.6"),
    ("attack.py:targeted_attack", "The same projected steps as untargeted_attack, in the opposite direction of "
     "dE/dy0 computed for `target`."): ("5.3", "5.8", "5.9"),
    ("attack.py:targeted_attack", "With steps=1, step_size=eps, p=np.inf: clip(y0 - eps * sign(dE/dy0 for target), "
     "0, 1)."): ("5.3",),
    ("attack.py:targeted_attack", "Returns a new float64 array of y0's shape."): ("5.4",),
    ("attack.py:targeted_attack", "Must not modify y0 nor change the network's weights."): ("5.4",),
    # README.md, "Rules that cost points when broken"
    ("README.md:rules", "one sample at a time (no batch axis), float64 throughout;"): ("1.1", "2.1", "3.1"),
    ("README.md:rules", "`forward` must not modify `y0` and must stay finite for large logits (use a stable "
     "softmax);"): ("2.3", "2.5"),
    ("README.md:rules", "with `lr == 0`, `backward` leaves the weights exactly as they were;"): ("3.3",),
    ("README.md:rules", "the attacks never change the network's weights (call `backward(0.0)`) nor `y0`, and "
     "return a new array of `y0`'s shape;"): ("5.4",),
    ("README.md:rules", "only NumPy and the Python standard library are available to your code."):
        "enforced by the sandbox: importing anything else fails at import, and every test then fails",
}


def _sentences(text: str) -> list:
    text = re.sub(r"\s+", " ", text).strip()
    return [s.strip() for s in re.split(r"(?<=[.;])\s+(?=[A-Z])", text) if s.strip()]


def handout_sentences(handout: Path) -> list:
    """(where, sentence) for every sentence of the handout's docstrings (before 'Graded:') and every
    bullet of its README's rules."""
    out = []
    for path in sorted(Path(handout).glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in [tree, *ast.walk(tree)]:
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node):
                where = f"{path.name}:{getattr(node, 'name', 'module')}"
                out += [(where, s) for s in _sentences(ast.get_docstring(node).split("Graded:")[0])]
    readme = Path(handout) / "README.md"
    if readme.exists():
        rules = readme.read_text().split("Rules that cost points when broken:", 1)[-1].split("\n## ", 1)[0]
        for bullet in re.split(r"\n- ", "\n" + rules.strip())[1:]:
            out.append(("README.md:rules", re.sub(r"\s+", " ", bullet).strip()))
    return list(dict.fromkeys(out))
