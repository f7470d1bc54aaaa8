"""The .pil writer is read by peppercorn itself."""

from __future__ import annotations

import pytest

from nn2crn.crn import parse_crn
from nn2crn.dna import format_pil, load_concentrations, translate

pytest.importorskip("peppercornenumerator")


@pytest.mark.parametrize("scheme", ["ssw2010", "qsw2011"])
def test_peppercorn_reads_the_pil(scheme):
    from peppercornenumerator.input import read_pil
    from peppercornenumerator.objects import clear_memory

    system = translate(parse_crn("Zp -> M + Yp\nM + Zn -> Yn\nZp @initial 1\nZn @initial 0.5"), scheme)
    clear_memory()
    complexes, _ = read_pil(format_pil(system, load_concentrations(system)))
    assert set(complexes) == {c.name for c in system.complexes}
    assert complexes["Zp"].concentration == ("initial", 10.0, "nM")
    assert complexes["Zn"].concentration == ("initial", 5.0, "nM")
    assert complexes["G_r1"].concentration == ("constant", 100.0, "nM")
    assert complexes["M_r1_1"].concentration[1] == 0
    del complexes
    clear_memory()


@pytest.mark.parametrize(
    ("crn_text", "unit_nM", "fuel_excess", "message"),
    [
        ("x -> y\nx @initial 1e12", 1e300, 10.0, r"row 0: an amount of 1e\+12 .* not a finite concentration"),
        ("x -> y\nx @initial 1e-300", 1e-300, 10.0, r"row 0: an amount of 1e-300 .* rounds to 0 nM"),
        ("x -> y\nx @initial 2", 1e300, 1e300, r"fuels .* come to inf nM"),
        ("x -> y\nx @initial 1", 1e-300, 1e-300, r"fuels .* come to 0 nM"),
    ],
)
def test_concentrations_a_float_cannot_hold_are_refused(crn_text, unit_nM, fuel_excess, message):
    """Found by the pil fuzz target: `inf nM` in the .pil, which peppercorn cannot parse, or a
    signal silently written at 0 nM."""
    from nn2crn import DNADesignError
    from nn2crn.dna import Concentrations

    system = translate(parse_crn(crn_text))
    with pytest.raises(DNADesignError, match=message):
        load_concentrations(system, None, Concentrations(unit_nM, fuel_excess))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"domain,sequence\nh_x,\xf5AAA\n", r"cannot read domain sequences \('utf-8' codec"),
        (
            b'domain,sequence\nh_x,"' + b"A" * 200_000 + b'"\n',
            r"not a valid CSV \(field larger than field limit",
        ),
    ],
)
def test_read_sequences_refuses_a_file_it_cannot_read(tmp_path, content, message):
    """Found by the pil fuzz target: UnicodeDecodeError and csv.Error escaped read_sequences."""
    from nn2crn import DNADesignError
    from nn2crn.dna.writers import read_sequences

    path = tmp_path / "sequences.csv"
    path.write_bytes(content)
    with pytest.raises(DNADesignError, match=message):
        read_sequences(path, translate(parse_crn("x -> y")))


def test_a_crn_without_reactions_is_refused_before_an_empty_pil():
    """Found by atheris on the pil target: an empty .crn gave a .pil peppercorn cannot parse."""
    from nn2crn import DNADesignError

    with pytest.raises(DNADesignError, match="the CRN has no reactions"):
        translate(parse_crn("x @initial 1\n"))
