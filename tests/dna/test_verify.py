"""Verification: the shared hand-verified examples, negative controls, random NC CRNs."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn2crn.crn import CRN, Reaction, parse_crn
from nn2crn.dna import translate
from nn2crn.dna.enumerate import enumerate_system
from nn2crn.dna.system import parse_kernel
from nn2crn.dna.verify import Verdict, verify_system

pytest.importorskip("peppercornenumerator")
pytest.importorskip("crnverifier")

DATA = Path(__file__).parent / "data"


def example_to_ours(domain: str) -> str:
    """Our domain name -> the hand-written examples' name (a_X -> x1, h_Y_r1_2 -> hY_r1, s_X -> x)."""
    if match := re.fullmatch(r"([abc])_(\w+)", domain):
        return match[2].lower() + "123"["abc".index(match[1])]
    if match := re.fullmatch(r"s_(\w+)", domain):
        return match[1].lower()
    if match := re.fullmatch(r"h_(\w+?)_(r\d+)_\d+", domain):
        return f"h{match[1]}_{match[2]}"
    if match := re.fullmatch(r"h_(\w+)", domain):
        return f"h{match[1]}"
    return domain


def descriptor(kernel: str, rename=lambda d: d) -> tuple:
    """Complex identity up to strand rotation: its strands and its paired domains."""
    spaced = kernel.replace("(", "( ").replace(")", " )").replace("+", " + ")
    tokens = [t for t in spaced.split()]
    renamed = " ".join(t if t in "+)" else rename(t.rstrip("(*")) + t[len(t.rstrip("(*")) :] for t in tokens)
    paired = sorted(t[:-1].rstrip("*") for t in renamed.split() if t.endswith("("))
    return tuple(sorted(parse_kernel(renamed))), tuple(paired)


def condensed_of_file(path: Path) -> set:
    from peppercornenumerator import Enumerator
    from peppercornenumerator.input import read_pil
    from peppercornenumerator.objects import clear_memory

    clear_memory()
    complexes, detailed = read_pil(str(path), is_file=True)
    named = list(complexes.values())
    enum = Enumerator([c for c in named if c.concentration[1] != 0], detailed, named_complexes=named)
    enum.release_cutoff, enum.max_complex_size, enum.reject_remote = 7, 10, False
    enum.enumerate()
    enum.condense()
    out = set()
    for r in enum.condensed_reactions:
        k, units = r.rate_constant
        k *= 1e9 if units == "/nM/s" else 1.0
        out.add(
            (
                tuple(sorted(descriptor(m.representative.kernel_string) for m in r.reactants)),
                tuple(sorted(descriptor(m.representative.kernel_string) for m in r.products)),
                float(f"{k:.4g}"),
            )
        )
    del enum, complexes, detailed, named
    clear_memory()
    return out


def condensed_of_ours(text: str, scheme: str) -> set:
    crn = parse_crn(text)
    system = translate(crn, scheme)
    # Start, like the file, from the species given initial amounts only.
    enumeration = enumerate_system(system, start_signals=crn.initial)
    kernels = {r.name: r.kernel for r in enumeration.resting}
    return {
        (
            tuple(sorted(descriptor(kernels[n], example_to_ours) for n in r.reactants)),
            tuple(sorted(descriptor(kernels[n], example_to_ours) for n in r.products)),
            float(f"{r.rate:.4g}"),
        )
        for r in enumeration.reactions
    }


@pytest.mark.parametrize(
    ("pil", "crn_text", "scheme"),
    [
        ("ssw2010_X_to_YZ.pil", "X -> Y + Z\nX @initial 1", "ssw2010"),
        ("ssw2010_XY_to_Z.pil", "X + Y -> Z\nX @initial 1\nY @initial 1", "ssw2010"),
        ("ssw2010_relu.pil", "Zp -> M + Yp\nM + Zn -> Yn\nZp @initial 1\nZn @initial 1", "ssw2010"),
        # Written X + Y: the translator must reorder it to Y + X (pitfall 7), as the file does.
        ("ssw2010_shared_input_reordered.pil", "X -> Y\nX + Y -> Z\nX @initial 1\nY @initial 1", "ssw2010"),
        ("qsw2011_XY_to_Z.pil", "X + Y -> Z\nX @initial 1\nY @initial 1", "qsw2011"),
    ],
)
def test_same_condensed_reactions_as_the_hand_verified_examples(pil, crn_text, scheme):
    ours = condensed_of_ours(crn_text, scheme)
    theirs = condensed_of_file(DATA / pil)
    assert ours == theirs


def test_remote_toehold_fanout_fails_without_reordering():
    system = translate(parse_crn("X -> Y\nX + Y -> Z"), reorder=False)
    report = verify_system(system, whole_limit=0)
    pair = next(c for c in report.checks if c.kind == "pair")
    assert not report.ok and not pair.verdict.ok
    assert all(c.verdict.ok for c in report.checks if c.kind == "module")
    assert pair.offending  # the spurious reactions are shown


def break_fuel(system, name, kernel):
    complexes = tuple(replace(c, kernel=kernel) if c.name == name else c for c in system.complexes)
    return replace(system, complexes=complexes)


@pytest.mark.parametrize(
    ("name", "kernel"),
    [
        # Fact sheet pitfall 4: the second reactant's toehold is not covered by the backward strand.
        ("L_r1", "b_X( c_X( + b_Y( c_Y( h_Z_r1_1 a_Z + ) ) a_Y* ) ) a_X*"),
        # Pitfall 4: the translator also binds z2, so the product is never released.
        ("T_r1", "h_Z_r1_1( a_Z( b_Z( c_Z + ) ) ) c_Y*"),
    ],
)
def test_broken_gates_fail_verification(name, kernel):
    system = translate(parse_crn("X + Y -> Z"))
    assert verify_system(system, whole_limit=0).ok
    report = verify_system(break_fuel(system, name, kernel), whole_limit=0)
    assert not report.ok
    assert report.checks[0].verdict is Verdict.NOT_BISIMILAR
    assert report.checks[0].offending


def test_shapes_are_cached_across_modules():
    crn = parse_crn("A -> B + C\nD -> E + F\nG + B -> H\nI + E -> J")
    report = verify_system(translate(crn), pairs=False, whole_limit=0)
    assert report.ok and report.n_shapes == 2
    assert [c.cached for c in report.checks] == [False, True, False, True]


@st.composite
def small_nc_crns(draw) -> CRN:
    """1-2 reactions over a few species: uni/bimolecular, 0-4 products, fan-outs and ReLU-like pairs."""
    pool = ["A", "B", "C", "D", "E", "F"]
    reactions = []
    for _ in range(draw(st.integers(1, 2))):
        reactants = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
        products = draw(
            st.lists(
                st.sampled_from([p for p in pool if p not in reactants]), min_size=0, max_size=4, unique=True
            )
        )
        reactions.append(Reaction(reactants, products))
    return CRN(tuple(reactions))


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["ssw2010", "qsw2011"])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(crn=small_nc_crns())
def test_random_small_crns_verify(scheme, crn):
    assert verify_system(translate(crn, scheme), whole_limit=0).ok


def test_a_cache_hit_gives_the_verdict_of_the_real_named_enumeration():
    # Two modules identical up to renaming share one shape; the cached result must match
    # what enumerating each module under its own names gives (the soundness argument in
    # check_shape, point 2).
    from nn2crn.dna.verify import ShapeCache, _whole_check

    cache = ShapeCache()
    first = verify_system(
        translate(parse_crn("A -> B + C\nD + E -> F")), pairs=False, whole_limit=0, cache=cache
    )
    second = verify_system(
        translate(parse_crn("Q -> R + S\nU + V -> W")), pairs=False, whole_limit=0, cache=cache
    )
    assert [c.cached for c in first.checks] == [False, False]
    assert [c.cached for c in second.checks] == [True, True]
    for index, line in enumerate(("Q -> R + S", "U + V -> W")):
        real = _whole_check(translate(parse_crn(line)))
        cached = second.checks[index]
        assert real.verdict is cached.verdict is Verdict.CORRECT
        assert (real.n_complexes, real.n_condensed) == (cached.n_complexes, cached.n_condensed)


def test_a_broken_gate_is_not_answered_from_a_correct_modules_cache_entry():
    # Point 1 of the soundness argument: same formal shape, different kernel -> a miss.
    system = translate(parse_crn("A -> B + C\nD -> E + F"))
    # Pitfall 4: the translator also binds b_E, so E is never released.
    broken = break_fuel(system, "T_r2", "h_E_r2_1( a_E( b_E( c_E + h_F_r2_2( a_F( b_F c_F + ) ) ) ) ) c_D*")
    report = verify_system(broken, pairs=False, whole_limit=0)
    assert [c.cached for c in report.checks] == [False, False]
    assert report.checks[0].verdict is Verdict.CORRECT
    assert report.checks[1].verdict is Verdict.NOT_BISIMILAR


def test_a_qsw_fanout_pair_that_crnverifier_rejects_in_one_reaction_order_verifies():
    # crnverifier 0.3 says "not bisimilar" for this pair's implementation CRN in the order
    # peppercorn gives it and "bisimilar" for the same reactions in another order; the
    # whole-system check (same system, other names) always passed. Fixed by _bisimilar's retries.
    report = verify_system(translate(parse_crn("A -> C\nC -> D + E + F"), "qsw2011"), whole_limit=0)
    assert [(c.kind, c.verdict) for c in report.checks][-1] == ("pair", Verdict.CORRECT)
    assert report.ok


QSW_FANOUT_8 = """
import sys
from nn2crn.crn import parse_crn
from nn2crn.dna import translate
from nn2crn.dna.verify import verify_system
report = verify_system(translate(parse_crn("X -> A + B + C + D + E + F + G + H"), "qsw2011"), whole_limit=0)
sys.exit(0 if report.ok else 1)
"""


@pytest.mark.parametrize("hash_seed", ["0", "1", "2", "4"])
def test_the_qsw_fanout_8_module_verifies_under_every_hash_seed(hash_seed):
    # crnverifier 0.3's own search found this module's bisimulation under 3 of 8
    # PYTHONHASHSEED values (it iterates over sets of names); seed 0 failed even after
    # 12 renamed, reshuffled attempts. The proposed interpretation makes it seed-free.
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", QSW_FANOUT_8], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_proposed_interpretation_of_a_qsw_fanout_is_the_chain_of_remaining_products():
    from nn2crn.dna.verify import _formal, candidate_interpretations, implementation_crn

    system = translate(parse_crn("X -> A + B + C"), "qsw2011")
    icrn, known = implementation_crn(system, enumerate_system(system))
    (first, *_) = candidate_interpretations(_formal(m.reaction for m in system.modules), icrn, known)
    values = sorted(tuple(v) for k, v in first.items() if k not in known)
    # X bound to the gate (still X), then the products not yet released, down to none.
    assert values == sorted([("X",), ("A", "B", "C"), ("B", "C"), ("C",), ()])


def test_no_interpretation_is_proposed_for_a_wrong_implementation():
    from nn2crn.dna.verify import candidate_interpretations

    formal = [[["X"], ["Y"]]]
    known = {"x": ["X"], "y": ["Y"], "z": ["Z"]}
    # x -> i -> z: the only way out of i gives Z, which no formal reaction produces.
    assert list(candidate_interpretations(formal, [[["x"], ["i"]], [["i"], ["z"]]], known)) == []
    # The same chain ending in y is proposed (i stands for X or for Y).
    proposed = list(candidate_interpretations(formal, [[["x"], ["i"]], [["i"], ["y"]]], known))
    assert sorted(c["i"] for c in proposed) == [["X"], ["Y"]]
