"""The numpy-only CSR terms (no scipy on the check/eval path) equal scipy's, and keep the verdicts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import CRN, Reaction, check_crn, format_crn, parse_crn
from nn2crn.crn.crn import TermsCSR
from nn2crn.crn.text import _parse_crn
from nn2crn.nn import random_ternary_network

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _scipy_terms(crn: CRN, side: str) -> sp.csr_array:
    """The matrix as the constructor built it before TermsCSR: scipy, duplicates summed."""
    index = crn.species_index
    rows = [getattr(reaction, side) for reaction in crn.reactions]
    indptr = np.concatenate(([0], np.cumsum([len(terms) for terms in rows])))
    columns = [index[name] for terms in rows for name, _ in terms]
    counts = [float(count) for terms in rows for _, count in terms]
    matrix = sp.csr_array((counts, columns, indptr), shape=(crn.n_reactions, crn.n_species))
    matrix.sum_duplicates()
    return matrix


def _assert_terms_match(crn: CRN) -> None:
    for side, terms in (("reactants", crn.reactant_terms), ("products", crn.product_terms)):
        expected = _scipy_terms(crn, side)
        assert terms.shape == expected.shape
        np.testing.assert_array_equal(terms.indptr, expected.indptr)
        np.testing.assert_array_equal(terms.indices, expected.indices)
        np.testing.assert_array_equal(terms.data, expected.data)
        scipy_matrix = getattr(crn, "reactant_matrix" if side == "reactants" else "product_matrix")
        assert (scipy_matrix != expected).nnz == 0


def _reference_report(crn: CRN) -> tuple[object, ...]:
    """check_crn's verdicts and sizes computed the old way, through scipy.sparse and csgraph."""
    from scipy.sparse.csgraph import connected_components

    reactants, products = _scipy_terms(crn, "reactants"), _scipy_terms(crn, "products")
    coo_r, coo_p = reactants.tocoo(), products.tocoo()
    sources, targets = [], []
    for r, s in zip(coo_r.row, coo_r.col, strict=True):
        for q, t in zip(coo_p.row, coo_p.col, strict=True):
            if q == r:
                sources.append(s)
                targets.append(t)
    graph = sp.csr_array((np.ones(len(sources)), (sources, targets)), shape=(crn.n_species,) * 2)
    n_components, _ = connected_components(graph, directed=True, connection="strong")
    acyclic = n_components == crn.n_species and not any(s == t for s, t in zip(sources, targets, strict=True))
    consumers = np.diff(reactants.tocsc().indptr)
    outputs = {crn.species_index[n] for sig in crn.outputs for n, _ in (*sig.positive, *sig.negative)}
    orders = np.asarray(reactants.sum(axis=1)).ravel()
    return (
        acyclic,
        bool((consumers <= 1).all()),
        all(consumers[c] == 0 for c in outputs),
        int((orders == 1).sum()),
        int((orders == 2).sum()),
        int(np.diff(products.indptr).max(initial=0)),
        int(products.nnz),
        int(products.data.max(initial=0)),
    )


def _report_tuple(crn: CRN) -> tuple[object, ...]:
    report = check_crn(crn)
    return (
        report.feed_forward,
        report.non_competitive,
        report.outputs_only_produced,
        report.n_unimolecular,
        report.n_bimolecular,
        report.max_fan_out,
        report.product_terms,
        report.max_coefficient,
    )


def test_canonical_sorts_rows_and_adds_repeats():
    terms = TermsCSR.canonical(np.array([0, 3, 3, 5]), np.array([4, 1, 4, 2, 0]), np.ones(5), (3, 5))
    np.testing.assert_array_equal(terms.indptr, [0, 2, 2, 4])
    np.testing.assert_array_equal(terms.indices, [1, 4, 0, 2])
    np.testing.assert_array_equal(terms.data, [1.0, 2.0, 1.0, 1.0])
    np.testing.assert_array_equal(terms.rows, [0, 0, 2, 2])
    np.testing.assert_array_equal(terms.row_sums(), [3.0, 0.0, 2.0])


@pytest.mark.parametrize("path", sorted(DATA.glob("*.crn")), ids=lambda path: path.name)
@pytest.mark.parametrize("fast", [True, False])
def test_reader_terms_equal_the_constructors_on_golden_files(path, fast):
    crn = _parse_crn(path.read_text(), str(path), fast=fast)
    _assert_terms_match(crn)
    rebuilt = CRN(crn.reactions, crn.initial, crn.inputs, crn.outputs, raw_inputs=crn.raw_inputs)
    assert rebuilt.species == crn.species
    np.testing.assert_array_equal(rebuilt.product_terms.indices, crn.product_terms.indices)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), width=st.integers(1, 5))
def test_terms_and_verdicts_of_compiled_and_reduced_networks(seed, width):
    network = random_ternary_network((3, width, 2), rng=np.random.default_rng(seed))
    crn = compile_network(network)
    for candidate in (crn, reduce_crn(crn), reduce_crn(crn, keep_inputs=False)):
        for built in (candidate, parse_crn(format_crn(candidate))):
            _assert_terms_match(built)
            assert _report_tuple(built) == _reference_report(built)


@pytest.mark.parametrize(
    "text",
    [
        "A -> B\nB -> C + D\nC -> A",  # cycle
        "A -> B\nA + C -> D\nE -> F",  # competing
        "A -> A + B",  # self loop
        "A + A -> B\n2 B -> C + C",  # repeats add up
        "X -> 3 Y + 2 Z\nY + Z -> W\n-> X",
        "input x = xp - xn\noutput y = yp - yn\nxp -> yp\nxn -> yn\nyp -> Q",  # consumed output
    ],
)
def test_verdicts_equal_the_scipy_reference(text):
    for fast in (True, False):
        crn = _parse_crn(text, "net.crn", fast=fast)
        _assert_terms_match(crn)
        assert _report_tuple(crn) == _reference_report(crn)
    reactions = tuple(Reaction(r.reactants, r.products, r.rate) for r in crn.reactions)
    general = CRN(reactions, crn.initial, crn.inputs, crn.outputs)
    assert _report_tuple(general) == _report_tuple(crn)


def test_check_and_eval_of_a_small_crn_do_not_import_scipy_or_numba(tmp_path):
    crn = compile_network(random_ternary_network((3, 4, 2), rng=np.random.default_rng(1)))
    path = tmp_path / "net.crn"
    path.write_text(format_crn(crn))
    inputs = tmp_path / "x.csv"
    inputs.write_text("x0,x1,x2\n0.5,-1,2\n1,0,0.25\n")
    script = (
        "import sys\n"
        "from nn2crn.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "heavy = [name for name in ('scipy', 'numba') if name in sys.modules]\n"
        "print('HEAVY', heavy)\n"
        "raise SystemExit(code)\n"
    )
    env_args = {"capture_output": True, "text": True, "cwd": ROOT}
    for arguments in (["check", str(path)], ["eval", str(path), "--inputs", str(inputs)]):
        result = subprocess.run([sys.executable, "-c", script, *arguments], **env_args, check=False)
        assert result.returncode == 0, result.stderr
        assert "HEAVY []" in result.stdout
