"""Translators, cost and writers: structure, pinned errors, the fact sheet's strand counts."""

from __future__ import annotations

import pytest

from nn2crn import DNADesignError
from nn2crn.crn import parse_crn
from nn2crn.dna import DomainLengths, order_reactants, translate
from nn2crn.dna.concentrations import Concentrations, load_concentrations
from nn2crn.dna.cost import dna_cost
from nn2crn.dna.writers import STRAND_HEADER, format_strands, random_sequences, strand_rows, strand_sequence

RELU = "Zp -> M + Yp\nM + Zn -> Yn\nZp @initial 1\nZn @initial 0.5"


def kind_row(system, kind):
    return next(r for r in dna_cost(system).rows if r.group == f"kind: {kind}")


@pytest.mark.parametrize(
    ("text", "scheme", "kind", "strands", "nucleotides"),
    [
        # DNA fact sheet §1: unimolecular k=2 -> k+3 strands, 222 nt; bimolecular k=1 -> k+4 distinct, 192 nt.
        ("X -> Y + Z", "ssw2010", "unimolecular", 5, 222),
        ("X + Y -> Z", "ssw2010", "bimolecular", 5, 192),
        # §2: QSW X + Y -> Z has n+2k+4 = 8 strands and 291 nt.
        ("X + Y -> Z", "qsw2011", "bimolecular", 8, 291),
    ],
)
def test_fuel_cost_matches_the_fact_sheet(text, scheme, kind, strands, nucleotides):
    row = kind_row(translate(parse_crn(text), scheme), kind)
    assert (row.strands, row.nucleotides) == (strands, nucleotides)


def test_ssw_signals_have_history_first_and_variants_per_product():
    system = translate(parse_crn(RELU))
    assert system.complex("Zp").kernel == "h_Zp a_Zp b_Zp c_Zp"
    assert system.species_signals["M"] == ("M", "M_r1_1")
    assert (
        system.complex("T_r1").kernel == "h_M_r1_1( a_M( b_M c_M + h_Yp_r1_2( a_Yp( b_Yp c_Yp + ) ) ) ) c_Zp*"
    )
    assert [c.name for c in system.fuels] == ["G_r1", "T_r1", "L_r2", "B_r2", "T_r2"]


def test_reactant_order_follows_pitfall_7():
    crn = parse_crn("X -> Y\nX + Y -> Z")
    assert [r.reactants for r in order_reactants(crn)] == [(("X", 1),), (("Y", 1), ("X", 1))]
    # Without the conflict the written order is kept.
    assert order_reactants(parse_crn("X -> W\nX + Y -> Z"))[1].reactants == (("X", 1), ("Y", 1))


def test_gate_toehold_shortens_only_the_input_toehold():
    system = translate(parse_crn(RELU), lengths=DomainLengths(gate_toehold=4))
    assert system.domain_length["a_Zp"] == 4 and system.domain_length["c_Zp"] == 6


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: translate(parse_crn("A + B + C -> D")),
            r"reaction 1 \(A \+ B \+ C -> D\) has 3 reactant molecules",
        ),
        (
            lambda: translate(parse_crn("2 A + B -> D")),
            r"has 3 reactant molecules; the DNA schemes implement at most 2",
        ),
        (
            lambda: translate(parse_crn("A -> B"), "cardelli2013"),
            r"unknown DNA scheme 'cardelli2013'; choose one of ssw2010, qsw2011",
        ),
        (
            lambda: DomainLengths(toehold=8),
            r"toehold = 8 nt breaks the release rule toehold <= release cutoff \(7 nt\) < long",
        ),
        (lambda: DomainLengths(long=7), r"long = 7 nt breaks the release rule .* at least 8 nt"),
        (
            lambda: translate(parse_crn("A -> B"), "qsw2011", DomainLengths(gate_toehold=4)),
            r"one universal toehold",
        ),
        (lambda: translate(parse_crn("A -> G_r1")), r"generated DNA name 'G_r1' collides"),
        (lambda: Concentrations(unit_nM=0), r"unit_nM must be a finite number > 0, got 0"),
    ],
)
def test_bad_input_messages(call, message):
    with pytest.raises(DNADesignError, match=message):
        call()


def test_strand_list_header_concentrations_and_sequences():
    system = translate(parse_crn(RELU))
    loaded = load_concentrations(system, None, Concentrations(unit_nM=10, fuel_excess=10))
    rows = strand_rows(system, loaded)
    text = format_strands(rows)
    assert text.splitlines()[0] == ",".join(STRAND_HEADER)
    assert "Zp,signal,Zp,h_Zp a_Zp b_Zp c_Zp,42,10" in text
    # B_r2 = b_M c_M a_Zn is both the free backward strand and L_r2's cover: one row, summed.
    backward = next(r for r in rows if r.domains == ("b_M", "c_M", "a_Zn"))
    assert backward.concentration_nM == pytest.approx(200.0)
    sequences = random_sequences(system, seed=3)
    assert sequences == random_sequences(system, seed=3)
    gate_bottom = next(r for r in rows if r.domains == ("c_Zp*", "b_Zp*", "a_Zp*"))
    top = strand_sequence(("a_Zp", "b_Zp", "c_Zp"), sequences)
    pair = str.maketrans("ACGT", "TGCA")
    assert strand_sequence(gate_bottom.domains, sequences) == top.translate(pair)[::-1]
    assert format_strands(rows, sequences).splitlines()[0].endswith(",sequence")
