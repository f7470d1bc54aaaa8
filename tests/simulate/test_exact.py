"""Exact evaluator: firing to completion in topological order."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import CRNStructureError, InputDataError
from nn2crn.crn import CRN, Reaction, Signal, parse_crn
from nn2crn.simulate import evaluate_exact, plan_exact, stable_outputs


def test_relu_module_computes_max_zero():
    crn = parse_crn(
        """
        input z = zp - zn
        output y = yp - yn
        zp -> m + yp
        m + zn -> yn
        """
    )
    values = np.array([[2.0], [-1.5], [0.0], [1e-300]])
    assert np.array_equal(stable_outputs(crn, values)[:, 0], np.maximum(values[:, 0], 0.0))


def test_final_state_of_a_chain_with_stoichiometry():
    crn = CRN((Reaction([("A", 2)], ["B"]), Reaction(["B", "C"], [("D", 3)])), {"A": 5.0, "C": 1.0})
    state = evaluate_exact(crn)[0]
    index = crn.species_index
    assert state[index["A"]] == 0.0
    assert state[index["B"]] == pytest.approx(1.5)
    assert state[index["C"]] == 0.0
    assert state[index["D"]] == pytest.approx(3.0)


def test_integer_firing_leaves_remainders():
    crn = CRN((Reaction([("A", 3)], ["B"]),), {"A": 7.0})
    plan = plan_exact(crn)
    final = plan.fire(crn.initial_state(), integer=True)[0]
    assert final[crn.species_index["A"]] == 1.0 and final[crn.species_index["B"]] == 2.0


def test_batch_rows_are_independent(rng):
    crn = parse_crn("input x = xp - xn\noutput y = yp - yn\nxp -> m + yp\nm + xn -> yn\nzp @initial 1")
    values = rng.normal(size=(100, 1))
    together = stable_outputs(crn, values)
    one_by_one = np.concatenate([stable_outputs(crn, row[None]) for row in values])
    assert np.array_equal(together, one_by_one)


def test_large_batches_span_several_chunks(rng):
    crn = parse_crn("input x = xp - xn\noutput y = yp - yn\nxp -> m + yp\nm + xn -> yn")
    values = rng.normal(size=(3000, 1))
    assert np.allclose(stable_outputs(crn, values)[:, 0], np.maximum(values[:, 0], 0))
    assert evaluate_exact(crn, values).shape == (3000, crn.n_species)


def test_non_competitive_violation_is_refused_with_the_species():
    crn = CRN((Reaction(["A"], ["B"]), Reaction(["A", "C"], ["D"])), {"A": 1.0})
    with pytest.raises(CRNStructureError, match="A is a reactant of 2 reactions"):
        evaluate_exact(crn)


def test_cycle_is_refused():
    crn = CRN((Reaction(["A"], ["B"]), Reaction(["B"], ["A"])))
    with pytest.raises(CRNStructureError, match="not feed-forward: cycle"):
        stable_outputs(crn)


def test_catalyst_is_a_cycle():
    crn = CRN((Reaction(["A", "B"], ["A", "C"]),))
    with pytest.raises(CRNStructureError, match="cycle A -> A"):
        stable_outputs(crn)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([[1.0, 2.0]], "expected 1 columns, got 2"),
        ([[np.nan]], "row 0, x is nan"),
        ([[-1.0]], "single-rail"),
    ],
)
def test_bad_inputs_are_refused(values, message):
    crn = CRN((Reaction(["xp"], ["y"]),), inputs=(Signal("x", ["xp"]),))
    with pytest.raises(InputDataError, match=message):
        stable_outputs(crn, values)


def renamed(crn: CRN, rng: np.random.Generator) -> CRN:
    """The same CRN with every species renamed to a meaningless name, in a shuffled order."""
    names = {
        name: f"s{number}" for name, number in zip(crn.species, rng.permutation(crn.n_species), strict=True)
    }

    def terms(pairs):
        return [(names[name], count) for name, count in pairs]

    def signal(s: Signal) -> Signal:
        return Signal(s.name, terms(s.positive), terms(s.negative))

    return CRN(
        tuple(Reaction(terms(r.reactants), terms(r.products), r.rate) for r in crn.reactions),
        {names[name]: amount for name, amount in crn.initial.items()},
        inputs=tuple(signal(s) for s in crn.inputs),
        outputs=tuple(signal(s) for s in crn.outputs),
        species=tuple(names[name] for name in crn.species),
    )


@pytest.mark.parametrize("widths", [(6, 5, 3), (5, 4, 4, 3)])
def test_dual_rails_come_from_the_declared_signals_not_from_names(rng, widths):
    from nn2crn.compile import compile_network
    from nn2crn.nn import random_ternary_network

    crn = compile_network(random_ternary_network(widths, rng=rng))
    other = renamed(crn, rng)
    assert not set(crn.species) & set(other.species)
    plan, other_plan = plan_exact(crn), plan_exact(other)
    kinds = [group.kind for group in plan.groups]
    assert "mirror" in kinds  # the output layer's fan-out at least fires as mirrored dual-rail pairs
    assert [group.kind for group in other_plan.groups] == kinds
    values = rng.normal(size=(20, widths[0]))
    np.testing.assert_array_equal(
        stable_outputs(other, values, plan=other_plan), stable_outputs(crn, values, plan=plan)
    )


def test_deep_chain_fires_level_by_level():
    # 20,000 levels of one reaction each: planning is linear in the reactions
    # (the old per-level scan was quadratic); the amount and its factors arrive exactly.
    n = 20_000
    reactions = [Reaction([f"a{i}"], [(f"a{i + 1}", 1 + (i == n // 2))]) for i in range(n)]
    crn = CRN(tuple(reactions), inputs=(Signal("x", ["a0"]),), outputs=(Signal("y", [f"a{n}"]),))
    plan = plan_exact(crn)
    assert len(plan.groups) == n
    assert stable_outputs(crn, [[1.5], [0.0]], plan=plan)[:, 0].tolist() == [3.0, 0.0]


def test_sparse_and_dense_product_blocks_agree(rng, monkeypatch):
    from nn2crn.compile import compile_network
    from nn2crn.nn import random_ternary_network
    from nn2crn.simulate import exact

    network = random_ternary_network((6, 40, 30, 4), rng=rng)
    crn = compile_network(network)
    values = rng.normal(size=(50, 6))
    dense_plan = plan_exact(crn)
    monkeypatch.setattr(exact, "_DENSE_ALWAYS", 0)
    monkeypatch.setattr(exact, "_DENSE_MAX_ENTRIES", 0)
    monkeypatch.setattr(exact, "_DENSE_THRESHOLD", 2.0)  # no block is that dense
    sparse_plan = plan_exact(crn)

    def n_sparse(plan):
        matrices = [g.products_t for g in plan.groups if g.kind != "mirror"]
        matrices += [m for g in plan.groups if g.kind == "mirror" for m in g.mirror_matrices]
        return sum(not isinstance(m, np.ndarray) for m in matrices)

    assert n_sparse(sparse_plan) > n_sparse(dense_plan)
    assert [g.kind for g in sparse_plan.groups] == [g.kind for g in dense_plan.groups]
    assert "mirror" in {g.kind for g in sparse_plan.groups}
    np.testing.assert_allclose(
        stable_outputs(crn, values, plan=sparse_plan), network.forward(values), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        stable_outputs(crn, values, plan=sparse_plan),
        stable_outputs(crn, values, plan=dense_plan),
        rtol=1e-14,
    )


_WIDE_NETWORK_SCRIPT = """
import json, resource, sys
import numpy as np
from nn2crn.compile import compile_network
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import evaluate_exact, stable_outputs

rng = np.random.default_rng(0)
network = random_ternary_network((4, int(sys.argv[1]), 3), rng=rng)
crn = compile_network(network)
values = rng.normal(size=(3, 4))
crn.reactant_columns, crn.output_matrix  # the CRN's own arrays are not the evaluator's
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outputs = stable_outputs(crn, values)
states = evaluate_exact(crn, values)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "growth_bytes": (after - before) * 1024,
    "product_terms": int(crn.product_matrix.nnz),
    "dense_bytes": 8 * crn.n_reactions * crn.n_species,
    "error": float(np.abs(outputs - network.forward(values)).max()),
    "states_error": float(np.abs(crn.read_outputs(states) - network.forward(values)).max()),
}))
"""


@pytest.mark.slow
def test_wide_network_memory_grows_with_the_product_terms_not_the_species_squared(tmp_path):
    # A 4-10000-3 network: a dense product matrix would take 8 GB (the old evaluator
    # needed 11 GB for 3 rows). Peak RSS is measured in a fresh process.
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import nn2crn

    script = tmp_path / "wide.py"
    script.write_text(_WIDE_NETWORK_SCRIPT)
    environment = {**os.environ, "PYTHONPATH": str(Path(nn2crn.__file__).parents[1])}
    result = subprocess.run(
        [sys.executable, str(script), "10000"], capture_output=True, text=True, env=environment, check=True
    )
    measured = json.loads(result.stdout)
    assert measured["error"] < 1e-9 and measured["states_error"] < 1e-9
    # ~350 bytes per product term measured (Python-level plan bookkeeping included).
    bound = 1024 * measured["product_terms"]
    assert measured["growth_bytes"] < bound, measured
    assert measured["growth_bytes"] < measured["dense_bytes"] / 50, measured


def small_cnn(rng):
    from nn2crn.nn import Layer, Network
    from nn2crn.nn.network import Conv2d, Flatten, MaxPool2d

    conv = Conv2d(rng.integers(-1, 2, (3, 1, 3, 3)), rng.normal(size=3), (1, 1), (1, 1))
    dense = Layer(rng.integers(-1, 2, (4, 3 * 3 * 3)), rng.normal(size=4), "linear")
    return Network((conv, MaxPool2d((2, 2)), Flatten(), dense), input_shape=(1, 6, 6))


def test_species_are_laid_out_so_that_reactants_are_views(rng):
    from nn2crn.compile import compile_network

    network = small_cnn(rng)
    crn = compile_network(network)
    plan = plan_exact(crn)
    assert sorted(plan.layout.species) == sorted(crn.species)
    assert [plan.layout.species[k] for k in range(crn.n_species)] == [crn.species[k] for k in plan.order]
    kinds = {group.kind for group in plan.groups}
    assert {"single", "pair", "mirror"} <= kinds
    for group in plan.groups:
        if group.kind in ("single", "pair"):
            assert all(isinstance(rows, slice) for rows in group.slots)
        if group.kind == "mirror":
            assert all(isinstance(rows, slice) for rows in group.mirror_reactants)
    values = rng.normal(size=(40, 36))
    np.testing.assert_allclose(stable_outputs(crn, values, plan=plan), network.forward(values), rtol=1e-12)
    # states come back in the CRN's own species order
    states = evaluate_exact(crn, values, plan=plan)
    np.testing.assert_allclose(crn.read_outputs(states), network.forward(values), rtol=1e-12)
    index = crn.species_index
    hidden = [name for name in crn.species if name.startswith("h1_")]
    assert hidden and (states[:, [index[name] for name in hidden]] >= 0).all()


def test_wide_crns_work_in_smaller_chunks_with_the_same_results(rng, monkeypatch):
    from nn2crn.compile import compile_network
    from nn2crn.simulate import exact

    assert exact._chunk_rows(500) == exact._CHUNK
    assert exact._MIN_CHUNK <= exact._chunk_rows(32_876) < exact._CHUNK
    assert exact._chunk_rows(10**9) == exact._MIN_CHUNK
    network = small_cnn(rng)
    crn = compile_network(network)
    values = rng.normal(size=(300, 36))
    whole, states = stable_outputs(crn, values), evaluate_exact(crn, values)
    monkeypatch.setattr(exact, "_CHUNK_ENTRIES", 7 * crn.n_species)  # chunks of 32 rows (the minimum)
    assert exact._chunk_rows(crn.n_species) == exact._MIN_CHUNK
    # Not bit-equal: BLAS picks its kernel (and so the order of a sum) by the operands'
    # shapes, and some CPUs' kernels for 32 rows add in another order than for 300
    # (measured: 1.8e-15 apart on one machine, equal on another).
    np.testing.assert_allclose(stable_outputs(crn, values), whole, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(evaluate_exact(crn, values), states, rtol=1e-12, atol=1e-12)


# -- accuracy: a-posteriori rounding bound, extended precision, refusal -------------------


def _offset_rails(offset: float) -> CRN:
    """y = x through rails that both carry `offset`: float64 cancels ~eps x offset of y."""
    return parse_crn(
        f"""
        input x = xp - xn
        output y = yp - yn
        yp @initial {offset}
        yn @initial {offset}
        xp -> yp
        xn -> yn
        """
    )


def test_big_rails_are_re_evaluated_in_extended_precision():
    if np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps / 100:
        pytest.skip("numpy.longdouble is not finer than float64 on this platform")
    crn = _offset_rails(1e8)
    x = np.array([[0.1], [-0.3], [1.0 / 3.0]])
    plain = stable_outputs(crn, x, rtol=None)[:, 0]
    assert np.abs(plain - x[:, 0]).max() > 1e-9  # float64 alone is off
    checked = stable_outputs(crn, x)[:, 0]
    assert np.abs(checked - x[:, 0]).max() <= 1e-9 * np.abs(x).max()


def test_a_crn_without_inputs_is_checked_too():
    if np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps / 100:
        pytest.skip("numpy.longdouble is not finer than float64 on this platform")
    crn = parse_crn("output y = yp - yn\nyp @initial 1e8\nyn @initial 99999999\na @initial 0.1\na -> yp\n")
    assert abs(stable_outputs(crn, rtol=None)[0, 0] - 1.1) > 1e-9
    assert abs(stable_outputs(crn)[0, 0] - 1.1) <= 1e-9 * 1.1


def test_hopeless_rails_are_refused_with_the_row_bound_and_fix():
    from nn2crn import PrecisionLossError

    crn = _offset_rails(1e12)  # the largest initial amount a .crn file takes
    x = np.array([[1.0], [2.0]])
    with pytest.raises(PrecisionLossError) as caught:
        stable_outputs(crn, x)
    message = str(caught.value)
    assert message.startswith("exact evaluation: row ")
    assert "may be off by up to" in message and "above rtol=1e-09" in message
    assert "2 of 2 rows fail" in message and "(CLI: --rtol" in message
    # The longdouble bound is predicted from the float64 rails: refused without re-evaluating.
    assert "by the bound of the same rails" in message
    # The suggested tolerance is accepted, and rtol=None returns plain float64.
    accept = message.split("(CLI: --rtol ")[1].rstrip(")")
    assert stable_outputs(crn, x, rtol=float(accept)).shape == (2, 1)
    assert stable_outputs(crn, x, rtol=None).shape == (2, 1)


def test_rows_refused_after_the_extended_pass_name_both_precisions():
    from nn2crn import PrecisionLossError

    if np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps / 100:
        pytest.skip("numpy.longdouble is not finer than float64 on this platform")
    # Under a loose rtol, float64's own error could make |y| large enough to pass in
    # longdouble, so the row is re-evaluated; its true |y| = 1e-7 then fails.
    with pytest.raises(PrecisionLossError, match=r"row 0: .* in float64 and \w+ \(eps ") as caught:
        stable_outputs(_offset_rails(1e12), [[1e-7]], rtol=1e-3)
    assert "by the bound" not in str(caught.value)


def test_deep_random_ternary_network_meets_1e_9_relative_per_row():
    from nn2crn.compile import compile_network
    from nn2crn.nn import random_ternary_network

    rng = np.random.default_rng(0)
    network = random_ternary_network((64,) * 8 + (10,), rng=rng)
    x = rng.normal(size=(200, 64))
    crn = compile_network(network)
    plan = plan_exact(crn)
    expected = network.forward(x)
    row_scale = np.abs(expected).max(axis=1)

    def row_error(outputs):
        return float((np.abs(outputs - expected).max(axis=1) / row_scale).max())

    assert row_error(stable_outputs(crn, x, plan=plan, rtol=None)) > 1e-9  # plain float64: 6.7e-9
    assert row_error(stable_outputs(crn, x, plan=plan)) <= 1e-9


def test_ordinary_networks_pass_the_check_untouched():
    from nn2crn.compile import compile_network, reduce_crn
    from nn2crn.nn import random_ternary_network

    rng = np.random.default_rng(1)
    network = random_ternary_network((16, 16, 16, 4), rng=rng)
    x = rng.normal(size=(300, 16))
    for crn in (compile_network(network), reduce_crn(compile_network(network), keep_inputs=False)):
        plan = plan_exact(crn)
        # Identical to plain float64: no row was re-evaluated.
        assert np.array_equal(stable_outputs(crn, x, plan=plan), stable_outputs(crn, x, plan=plan, rtol=None))


def test_rtol_must_be_non_negative():
    from nn2crn import SimulationError

    with pytest.raises(SimulationError, match="rtol must be >= 0 or None"):
        stable_outputs(_offset_rails(1.0), [[1.0]], rtol=-1.0)


def test_a_chain_keeps_its_species_order_and_fires_as_the_reordered_plan(monkeypatch):
    from nn2crn.simulate import exact

    n = 40
    text = f"input x = a0\noutput y = a{n}\n" + "\n".join(f"a{k} -> a{k + 1}" for k in range(n))
    crn = parse_crn(text)  # a{n} is the second species (the output line names it first)
    values = np.array([[1.0], [2.5], [0.0]])
    plan = exact.plan_exact(crn)
    assert np.array_equal(plan.order, np.arange(crn.n_species))  # one reaction per group
    monkeypatch.setattr(exact, "_LAYOUT_MIN_GROUP_SIZE", 0)
    reordered = exact.plan_exact(crn)
    assert not np.array_equal(reordered.order, np.arange(crn.n_species))
    np.testing.assert_array_equal(
        stable_outputs(crn, values, plan=plan), stable_outputs(crn, values, plan=reordered)
    )
    np.testing.assert_array_equal(stable_outputs(crn, values, plan=plan), values)
