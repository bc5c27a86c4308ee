"""attack, hidden: images for lp_norm, the trained reference network, success rates."""

import hashlib

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.calls import Ref
from autograder.engine.grading.checks import Feedback, read_array

from .. import reference
from ..attacks import (check_limits, check_norms, limits_attack, limits_judged, one_step_attack, one_step_judged,
                       pname, short_step_attack, short_step_judged)
from ..models import LINEAR_SOURCE, LinearModel, trained_linear


def _correct(trained, data, count, start):
    """Test digits (never trained on) that the trained network classifies right."""
    images, labels = data
    keep = np.flatnonzero(reference.predict(trained, images[start:]) == labels[start:])[:count] + start
    return images[keep], labels[keep]


@weight(2)
@number("5.2")
@tags("attack")
@visibility("after_published")
def test_lp_norm_images(student):
    """attack: lp_norm of images (all entries count) for p = 1, 2, 3 and inf"""
    rng = np.random.default_rng(61)
    image = rng.normal(size=(8, 8))
    color = rng.normal(size=(4, 4, 3))
    check_norms(student, [(image, 1), (image, 2), (image, np.inf), (color, 2), (color, 3.0), (-color, np.inf)])


@weight(3)
@number("5.6")
@tags("attack")
@visibility("after_published")
def test_budgets_on_trained_network(student, trained, data):
    """attack: budgets and box on the trained network, other eps, norms and step counts"""
    images, labels = _correct(trained, data, 8, start=1500)
    cases = [limits_attack(student, reference.ReferenceModel(trained), images[i], int(labels[i]), kind, p, eps, steps)
             for i, (kind, p, eps, steps) in enumerate([("untargeted", np.inf, 0.03, 25), ("targeted", 2, 0.4, 7),
                                                        ("untargeted", 2, 2.5, 15), ("targeted", np.inf, 0.25, 3)])]
    for case in cases:  # judged once every attack has run
        limits_judged(case)


@weight(2)
@number("5.8")
@tags("attack")
@visibility("after_published")
def test_one_step_exact_on_trained_network(student, trained, data):
    """attack: one step on the trained network, L_inf and L_2 (a full step of eps, and half of one inside the ball and the box), untargeted and targeted"""
    images, labels = _correct(trained, data, 3, start=1500)
    model = reference.ReferenceModel(trained)
    cases = [one_step_attack(student, model, images[i], int(labels[i]), kind, p, eps)
             for kind in ("untargeted", "targeted") for i, p, eps in ((1, 2, 0.8), (2, np.inf, 0.05))]
    short = [short_step_attack(student, model, 0.3 + 0.4 * images[0], int(labels[0]), kind, 0.5)
             for kind in ("untargeted", "targeted")]
    for case in cases:  # judged once every attack has run
        one_step_judged(case)
    for case in short:
        short_step_judged(case)


def _success_attacks(student, linear, data, count=20):
    """Run the student's attacks for every (kind, p, eps) of SUCCESS on the same digits, against a
    trained softmax regression that runs inside the student's worker (no round trip per step):
    {(kind, p, eps): (the digits, their labels, the classes attacked, what the attacks returned)}."""
    images, labels = data
    model = LinearModel(weights=linear)
    keep = np.flatnonzero(model.predict(images[1550:]) == labels[1550:])[:count] + 1550
    images, labels = images[keep], labels[keep]
    student.provide("_grader_models", LINEAR_SOURCE)
    returned = {}
    for kind, p, eps in SUCCESS:
        net = student.new("_grader_models:LinearModel", weights=linear, label="the grader's model")
        classes = labels if kind == "untargeted" else (labels + 1) % 10
        calls = [(f"attack:{kind}_attack", None, [Ref(net.name), images[i], int(classes[i]), eps], {"p": p}, False)
                 for i in range(len(images))]
        returned[kind, p, eps] = (images, labels, classes, student.batch(calls, label=f"{kind}_attack", seconds=60))
    return returned


_REFERENCE_HITS: dict = {}  # the reference's successes on the same fixed digits: one grading computes them


def _reference_hits(linear, kind, p, eps, images, labels, classes) -> list:
    """Which of these digits the reference's attack turns (the same for every submission of a batch)."""
    key = (kind, p, eps, hashlib.sha256(b"".join(a.tobytes() for a in (linear["w"], linear["b"], images, labels,
                                                                        classes))).hexdigest())
    if key not in _REFERENCE_HITS:
        model = LinearModel(weights=linear)
        attack = getattr(reference.attack_module(), f"{kind}_attack")
        refs = np.stack([attack(LinearModel(weights=linear), images[i].copy(), int(classes[i]), eps, p=p)
                         for i in range(len(images))])
        predicted = model.predict(refs)
        _REFERENCE_HITS[key] = list(predicted != labels if kind == "untargeted" else predicted == classes)
    return _REFERENCE_HITS[key]


def _success_rates(linear, kind, p, eps, images, labels, classes, results):
    """The student's success rate and the reference's on the same digits."""
    model = LinearModel(weights=linear)
    student_hits = 0
    for i, value in enumerate(results):
        y = read_array(value, f"the result of {kind}_attack", images[i].shape).require()
        check_limits(y, images[i], eps, p, kind)
        predicted = model.predict(y[None])[0]
        student_hits += int(predicted != labels[i] if kind == "untargeted" else predicted == classes[i])
    return student_hits / len(images), sum(_reference_hits(linear, kind, p, eps, images, labels, classes)) / len(images)


SUCCESS = (("untargeted", np.inf, 0.15), ("targeted", np.inf, 0.25))


@weight(4)
@number("5.7")
@tags("attack")
@visibility("after_published")
def test_success_rate_like_reference(student, data):
    """attack: 10-step attacks on a trained network succeed about as often as the reference's"""
    linear = trained_linear()
    for (kind, p, eps), returned in _success_attacks(student, linear, data).items():  # every attack first
        rate, reference_rate = _success_rates(linear, kind, p, eps, *returned)
        if rate < reference_rate - 0.10:
            raise Feedback(f"attack: {kind} {pname(p)}, eps = {eps:g}, 10 steps\n  succeeded on {rate:.0%} of "
                           f"20 digits; the reference succeeds on {reference_rate:.0%} (at most 10 points less "
                           f"passes). Check the step direction, the step size 2.5 * eps / steps, and the projection.")
