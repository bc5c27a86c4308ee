"""The shipped trained networks (autograder/hw2/hidden/trained.npz) are what training gives today."""

import numpy as np

from autograder.hw2 import trained
from autograder.hw2.models import trained_linear
from autograder.hw2.reference import trained_weights


def test_the_file_holds_every_network_as_trained_now():
    """Fails after a change to a recipe, the training or the data: run python -m autograder.hw2.trained."""
    for name, (recipe, train) in trained.entries().items():
        stored = trained.stored(name, recipe)
        assert stored is not None, f"{trained.FILE} has no {name} trained by {recipe}"
        fresh = train(**recipe)
        assert sorted(stored) == sorted(fresh), name
        for key in fresh:
            assert stored[key].dtype == fresh[key].dtype and stored[key].shape == fresh[key].shape, (name, key)
            np.testing.assert_allclose(stored[key], fresh[key], rtol=0, atol=1e-12, err_msg=f"{name}/{key}")


def test_the_tests_get_the_stored_networks_and_another_recipe_is_trained():
    stored = trained.stored("network", trained.entries()["network"][0])
    for key, value in trained_weights().items():
        assert np.array_equal(value, stored[key]), key
    assert trained.stored("network", {**trained.entries()["network"][0], "epochs": 1}) is None
    other = trained_weights(epochs=1)
    assert not np.allclose(other["w1"], stored["w1"])  # trained live, one epoch: not the stored network
    assert np.array_equal(trained_linear()["w"], trained.stored("linear", trained.entries()["linear"][0])["w"])
