"""Every tolerance Homework 2 grades with, in one place, each scaled to what it compares and with
its reason. A bar is |yours - expected| <= rel * (largest |expected| entry) + abs, entrywise.

The smallest mistake the known-bug catalogue holds changes the compared value by 1e-2 of its size
or more, so every bar below sits orders of magnitude under it while leaving room for correct code
written differently (float32 arithmetic inside, another order of summation, a guard in a division).
"""

from autograder.engine.grading.checks import Tolerance

LOSS = Tolerance(
    rel=1e-6, abs=1e-6,
    reason="E computed in float32 inside (eps 1.2e-7, a log-sum-exp over N logits) stays within a few 1e-7 "
           "of |E| + 1; a missing bias or a wrong sign moves E by 1e-2 or more")

GRADIENT = Tolerance(
    rel=1e-5, abs=1e-12,
    reason="the true gradient against yours: float32 arithmetic inside leaves ~1e-6 of the largest entry; "
           "the abs part absorbs float64 round-off of exact zeros")

OWN_FORWARD = Tolerance(
    rel=1e-4, abs=1e-8,
    reason="central differences of your own forward, h = 1e-5 in float64: truncation ~h^2 = 1e-10 and "
           "round-off ~1e-16 |E| / h ~ 1e-11 per entry; 1e-4 of the largest entry leaves room for both")

DEPENDS = 1e-6  # |dE/dv| above this (100x the difference's noise) means E depends on v at all

REPEAT = Tolerance(
    rel=1e-12, abs=0.0,
    reason="a second backward(0) after one forward must give the same gradients: same inputs, same "
           "arithmetic; 1e-12 allows only a different order of summation")

UPDATE = Tolerance(
    rel=1e-6, abs=1e-12,
    reason="w - lr dE/dw in float64 is exact to one rounding of w (1e-16 |w|); the bar is 1e-6 of the "
           "step lr dE/dw itself, so a step that is not taken (an error of the whole step) always fails")

NORM = Tolerance(
    rel=1e-9, abs=0.0,
    reason="lp_norm by another formula (np.linalg.norm, a scaled sum) differs by a few 1e-16 relative")

STEP = Tolerance(
    rel=1e-6, abs=1e-12,
    reason="one attack step, scaled to the step eps: clip, sign and division in float64 are exact to "
           "~1e-16; L2 directions may add a guard (see GUARD)")

GUARD = 1e-6  # the largest guard accepted in g / (||g|| + guard): attack libraries use 1e-12 to 1e-7

BUDGET = Tolerance(
    rel=1e-9, abs=1e-12,
    reason="||y - y0|| <= eps after a projection computed in float64: the scaling eps / ||d|| is exact "
           "to a few 1e-16")

DIRECTION = 0.5  # the attack's work gate (gates.attack_moves_E): its change of E must reach this share of the
                 # reference's, the right way. Noise placed at the budget reaches more than half on fewer than
                 # 1 in 15 single inputs of the tests (30 digits x 20 draws, visible and trained models), and a
                 # gated test has four inputs; a correct attack reaches about 1


def step_bound(eps: float, gradient_norm: float | None = None) -> float:
    """The bar for an attack result built from steps of length eps: STEP scaled to eps, plus, for L2,
    what a guard of up to GUARD in g / (||g|| + guard) changes: a share GUARD / ||g|| of the step."""
    bound = STEP.rel * eps + STEP.abs
    if gradient_norm:
        bound += eps * GUARD / gradient_norm
    return bound
