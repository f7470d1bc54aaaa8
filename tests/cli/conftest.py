"""Fixtures for the command-line tests: a small saved model with an input transform."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.nn import InputTransform, Network, random_ternary_network, save_network


@pytest.fixture
def model(tmp_path, rng):
    base = random_ternary_network((4, 6, 3), rng=rng)
    network = Network(
        base.layers,
        ("f0", "f1", "f2", "f3"),
        ("cat", "dog", "eel"),
        InputTransform(np.array([1.0, 0.0, -1.0, 2.0]), np.array([2.0, 1.0, 0.5, 3.0])),
    )
    path = tmp_path / "model.json"
    save_network(network, path)
    return path, network
