"""Each stage's work gate (autograder/hw2/gates.py), through Gradescope's flow: one mistake costs its own
stage once (zero bias gradients cost backward, not the update they are rightly applied with), and a
property of code that does not do the work earns nothing (noise at the budget keeps the budget)."""

import pytest

from .test_integrity import failed, variant

ZERO_BIAS_GRADIENTS = [("db2 = da2.copy()", "db2 = np.zeros_like(da2)"), ("db1 = da1.copy()", "db1 = np.zeros_like(da1)")]

# attacks that never call the network: noise placed exactly at the budget (seeded by the input, so a
# grading is reproducible; tests/fairness/degenerate/gate_noise_at_budget draws by p instead)
NOISE = {
    "signs": "eps * rng.choice([-1.0, 1.0], np.shape(y0))",
    "l2_direction": "eps * (lambda d: d / np.linalg.norm(d))(rng.standard_normal(np.shape(y0)))",
}
NOISE_ATTACKS = '''
import zlib


def _noise(y0, eps):
    rng = np.random.default_rng(zlib.crc32(np.ascontiguousarray(y0).tobytes()))
    return np.clip(y0 + {step}, 0.0, 1.0)


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return _noise(y0, eps)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return _noise(y0, eps)
'''


def points(results, tag) -> float:
    return sum(t.score for t in results.tests if tag in t.tags)


def most(results, tag) -> float:
    return sum(t.max_score for t in results.tests if tag in t.tags)


def test_zero_bias_gradients_cost_backward_only_and_keep_every_update_point(gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, ZERO_BIAS_GRADIENTS)))
    lost = {t.name: t.output for t in results.tests if t.status != "passed"}
    assert {t.tags[0] for t in results.tests if t.status != "passed"} == {"backward"}, lost
    assert points(results, "update") == most(results, "update") == 15
    assert set(failed(results)) == {"3.2.4", "3.2.8", "3.4"}  # dE/db2, dE/db1, and 2 of 9 in 3.4
    judged = " ".join(lost.values())
    assert "dE/db1" in judged and "dE/db2" in judged and "dE/dw1" not in judged
    weight_34 = next(t.max_score for t in results.tests if t.number == "3.4")
    assert results.score == pytest.approx(100 - 2 - 2 - weight_34 * 2 / 9)


def test_an_update_that_moves_a_weight_whose_returned_gradient_is_zero_loses_the_update(gradescope, homework,
                                                                                       make_submission):
    """The other half of the gate: a zero gradient asks the weight to stay; stepping it with the true
    gradient while returning zeros is an update that does not use the gradients it returned."""
    edit = [("        return {\"y2\": dy2, \"a2\": da2, \"w2\": dw2, \"b2\": db2,",
             "        db2 = np.zeros_like(db2)\n        return {\"y2\": dy2, \"a2\": da2, \"w2\": dw2, \"b2\": db2,")]
    out = failed(gradescope(make_submission(variant(homework, edit))))
    assert {"4.1", "4.2", "4.3"} <= set(out)
    assert "b2 changed although the dE/db2 you returned is all zeros" in out["4.1"]


@pytest.mark.parametrize("noise", sorted(NOISE))
def test_noise_at_the_budget_earns_nothing_in_the_attack_stage_but_lp_norm(noise, gradescope, homework,
                                                                          make_submission):
    files = variant(homework)
    files["attack.py"] += NOISE_ATTACKS.replace("{step}", NOISE[noise])
    results = gradescope(make_submission(files))
    attack = {t.number: t for t in results.tests if "attack" in t.tags}
    assert {n: t.score for n, t in attack.items() if t.score} == {"5.1": 3, "5.2": 2}  # lp_norm, real
    for number in ("5.4", "5.6"):  # the budget, the box and untouched inputs: behind the gate
        assert "checked only on an attack that moves E the right way" in attack[number].output, number
    assert "left the budget" not in attack["5.4"].output
    assert results.score == 80  # the network (75) and lp_norm (5)


def test_a_real_attack_outside_the_budget_passes_the_gate_and_loses_the_budget(gradescope, homework,
                                                                              make_submission):
    """The gate asks for E to move, whatever the distance: an attack without projection does its job
    (5.5 passes) and loses the budget tests for the projection it skips."""
    edit = [("y = np.clip(y0 + _project(y - y0, eps, p), 0.0, 1.0)", "y = np.clip(y, 0.0, 1.0)")]
    out = failed(gradescope(make_submission(variant(homework, attack=edit))))
    assert "5.5" not in out and "left the budget" in out["5.4"] and "checked only on" not in out["5.4"]
