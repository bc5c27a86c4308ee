"""Every rule the handout states is graded: autograder/hw2/rules.py maps each sentence to its tests."""

from autograder.engine.commands.build import collect_manifest
from autograder.hw2.rules import RULES, handout_sentences


def test_every_sentence_of_the_handout_has_a_line_in_the_table(homework):
    missing = [s for s in handout_sentences(homework.handout) if s not in RULES]
    assert not missing, "sentences of the handout with no line in autograder/hw2/rules.py:\n" + \
        "\n".join(f"{where}: {text}" for where, text in missing)


def test_every_line_of_the_table_is_still_in_the_handout(homework):
    sentences = set(handout_sentences(homework.handout))
    stale = [key for key in RULES if key not in sentences]
    assert not stale, stale


def test_every_rule_names_tests_that_exist_or_says_why_none(homework):
    numbers = [entry["number"] for entry in collect_manifest(homework)]
    for key, tests in RULES.items():
        if isinstance(tests, str):
            assert len(tests) > 10, f"{key}: say why no test is needed"
            continue
        assert tests, key
        for number in tests:
            assert any(n == number or n.startswith(number + ".") for n in numbers), (key, number)


def test_the_rules_the_issue_named_are_graded():
    tests = {text: value for (_, text), value in RULES.items()}
    assert "5.9" in tests["Move y0 to raise E for its true class t, within lp_norm(y - y0, p) <= eps. p is np.inf "
                          "(step along sign(dE/dy0)) or 2 (step along dE/dy0 divided by its L2 norm). step_size=None "
                          "means 2.5 * eps / steps."]
    assert "3.5" in tests["Return the gradients of E from the last forward, then step."]
