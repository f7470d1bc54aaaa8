"""DNA-level kinetics: the condensed DSD CRN, finite fuels, leak, agreement with the network."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.crn import parse_crn
from nn2crn.dna import Concentrations, translate
from nn2crn.dna.kinetics import build_kinetics
from nn2crn.studies.dna import simulate_dna

pytest.importorskip("peppercornenumerator")

RELU = "input z = Zp - Zn\noutput y = Yp - Yn\nZp -> M + Yp\nM + Zn -> Yn"


def test_relu_at_the_dna_level_matches_the_fact_sheet():
    # Fact sheet §6: Zp = 10 nM, Zn = 5 nM, every fuel 100 nM -> Yp - Yn = 5 nM within minutes.
    system = translate(parse_crn(RELU))
    kinetics = build_kinetics(system, [[1.0]], Concentrations(unit_nM=10.0, fuel_excess=10.0))
    assert kinetics.fuel_nM == pytest.approx(100.0)
    rates = sorted({round(r.rate * 1e9, -3) for r in kinetics.crn.reactions})
    assert rates == [860000.0, 1646000.0]  # /M/s: the reversible X + L <=> H + B step and displacements
    relu_input = 1.0  # Zp rail 1 unit = 10 nM; Zn from a negative input is 0 here
    trajectory = simulate_dna(kinetics, [[relu_input]], t_end_s=3600.0, n_points=7)
    assert trajectory.outputs[0, -1, 0] == pytest.approx(1.0, abs=1e-3)


def test_finite_fuel_limits_the_output():
    system = translate(parse_crn(RELU))
    kinetics = build_kinetics(system, [[1.0]], Concentrations(unit_nM=10.0, fuel_excess=0.5))
    trajectory = simulate_dna(kinetics, [[1.0]], t_end_s=7200.0, n_points=3)
    # Each firing uses up one gate: the output approaches, and never passes, the fuel's 0.5 units.
    assert 0.45 < trajectory.outputs[0, -1, 0] <= 0.5 + 1e-6


def test_leak_is_symmetric_on_dual_rails():
    crn = parse_crn("input x = Xp - Xn\noutput y = Yp - Yn\nXp -> Yp\nXn -> Yn")
    system = translate(crn)
    kinetics = build_kinetics(system, [[1.0]], Concentrations(10.0, 10.0), leak=10.0)
    names = kinetics.crn.species
    assert "leak1" in names and "leak2" in names
    trajectory = simulate_dna(kinetics, [[0.0]], t_end_s=7200.0, n_points=3)
    # Both rails leak alike, so the difference stays 0 although each rail grows.
    assert abs(trajectory.outputs[0, -1, 0]) < 1e-6


@pytest.mark.slow
def test_iris_dna_ode_agrees_with_the_network():
    from nn2crn.compile.network_to_crn import compile_network
    from nn2crn.datasets import load_dataset
    from nn2crn.nn import load_shipped_model

    network = load_shipped_model("iris-4-8-3-binary")
    values = network.transform(load_dataset("iris").test.x)
    system = translate(compile_network(network))
    kinetics = build_kinetics(system, values, Concentrations(unit_nM=10.0, fuel_excess=10.0), leak=0.0)
    trajectory = simulate_dna(kinetics, values, t_end_s=3600.0, n_points=3)
    agree = int((trajectory.outputs[:, -1, :].argmax(axis=1) == network.forward(values).argmax(axis=1)).sum())
    assert agree >= 149, f"DNA-level argmax agrees on {agree}/150 at 1 h"


def test_ssa_counts_molecules_at_the_stated_volume():
    from nn2crn.dna.kinetics import build_kinetics as build

    system = translate(parse_crn(RELU))
    kinetics = build(system, [[1.0]], Concentrations(unit_nM=10.0, fuel_excess=10.0))
    volume_fl = 10.0
    molecules_per_unit = 10.0 * 6.02214076e23 * 1e-9 * volume_fl * 1e-15  # 60.2 molecules
    trajectory = simulate_dna(
        kinetics, [[1.0]], t_end_s=3600.0, n_points=4, method="ssa", volume_fl=volume_fl, runs=3, seed=2
    )
    assert trajectory.method == "ssa"
    assert trajectory.outputs.shape == (3, 4, 1)
    counts = trajectory.outputs * molecules_per_unit
    # Whole molecules, starting from none, and every run ends with all 60 input molecules converted.
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    assert np.all(counts[:, 0, 0] == 0)
    np.testing.assert_allclose(counts[:, -1, 0], round(molecules_per_unit), atol=1e-6)


def test_ssa_with_a_tiny_volume_is_discrete_and_noisy():
    system = translate(parse_crn(RELU))
    kinetics = build_kinetics(system, [[1.0]], Concentrations(unit_nM=10.0, fuel_excess=10.0))
    # 0.5 fL: one unit is 3 molecules; after 5 s (about half a gate lifetime at 100 nM fuel)
    # the runs have fired different numbers of gates.
    trajectory = simulate_dna(
        kinetics, [[1.0]], t_end_s=5.0, n_points=2, method="ssa", volume_fl=0.5, runs=40, seed=3
    )
    early = trajectory.outputs[:, -1, 0] * 10.0 * 6.02214076e23 * 1e-9 * 0.5e-15
    np.testing.assert_allclose(early, np.round(early), atol=1e-6)
    assert len(np.unique(np.round(early))) > 1
