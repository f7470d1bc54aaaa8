"""The DNA section renders the study data into report blocks."""

from __future__ import annotations

import pytest

from nn2crn.crn import parse_crn
from nn2crn.report.dna_section import dna_section
from nn2crn.report.html import Note, Table

pytest.importorskip("peppercornenumerator")


def test_dna_section_tables_without_kinetics():
    from nn2crn.studies.dna import dna_section_data

    crn = parse_crn("Zp -> M + Yp\nM + Zn -> Yn")
    data = dna_section_data("relu", crn, crn, verify=(("compiled", "ssw2010"),), whole_limit=0)
    section = dna_section(data)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    assert section.title == "DNA implementation"
    assert [row[:2] for row in tables[0].rows] == [
        ("compiled", "ssw2010"),
        ("compiled", "qsw2011"),
        ("reduced", "ssw2010"),
        ("reduced", "qsw2011"),
    ]
    assert tables[1].rows == (
        ("compiled", "ssw2010", "2", "1", "3", "not run (2 > 0 reactions)", "correct", tables[1].rows[0][-1]),
    )
    assert isinstance(section.blocks[-1], Note)


def test_the_whole_system_verdict_and_the_fanout_bound_are_shown():
    import numpy as np

    from nn2crn.studies.dna import dna_section_data

    crn = parse_crn("X -> A + B + C\ninput x = X\noutput a = A\noutput c = C")
    x = np.array([[1.0]])
    data = dna_section_data(
        "fan",
        crn,
        crn,
        network_outputs=np.array([[1.0, 1.0]]),
        input_values=x,
        max_fanout=2,
        fuel_excesses=(10.0,),
        leaks=(0.0,),
        hours=1.0,
    )
    section = dna_section(data)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    assert [row[:2] for row in tables[0].rows][-2:] == [
        ("compiled, fan-out ≤ 2", "ssw2010"),
        ("compiled, fan-out ≤ 2", "qsw2011"),
    ]
    # X -> A + B + C becomes X -> A + I, I -> B + C: 2 modules, 1 pair, whole system enumerated.
    (row,) = tables[1].rows
    assert row[:4] == ("compiled, fan-out ≤ 2", "ssw2010", "2", "1")
    assert row[5].startswith("correct (") and row[6] == "correct"
    assert any(isinstance(b, Note) and "at most 2 products" in b.text for b in section.blocks)
    assert "compiled, fan-out ≤ 2 CRN" in tables[2].caption
    np.testing.assert_allclose(data.sweep[0].outputs[0, -1], [1.0, 1.0], atol=0.05)


def test_dna_section_with_the_fuel_leak_sweep_on_a_tiny_relu():
    import numpy as np

    from nn2crn.studies.dna import dna_section_data

    crn = parse_crn("Zp -> M + Yp\nM + Zn -> Yn\ninput z = Zp - Zn\noutput y = Yp - Yn")
    x = np.array([[1.0], [-0.5]])
    data = dna_section_data(
        "relu",
        crn,
        crn,
        network_outputs=np.maximum(x, 0),
        input_values=x,
        whole_limit=0,
        fuel_excesses=(10.0,),
        leaks=(0.0, 10.0),
        hours=2.0,
    )
    section = dna_section(data)
    sweep = [b for b in section.blocks if isinstance(b, Table)][2]
    assert [row[:2] for row in sweep.rows] == [("10", "0"), ("10", "10")]
    assert sweep.header[0] == "fuel ×" and sweep.header[-2:] == ("max |error|", "wall s")


def test_dna_section_draws_the_trajectories_in_hours(tmp_path):
    import numpy as np

    pytest.importorskip("matplotlib")
    from nn2crn.report.html import Figure
    from nn2crn.studies.dna import dna_section_data

    crn = parse_crn("Zp -> M + Yp\nM + Zn -> Yn\ninput z = Zp - Zn\noutput y = Yp - Yn")
    x = np.array([[1.0], [-0.5], [0.25]])
    data = dna_section_data(
        "relu",
        crn,
        crn,
        network_outputs=np.maximum(x, 0),
        input_values=x,
        whole_limit=0,
        fuel_excesses=(2.0, 10.0),
        leaks=(0.0,),
        hours=2.0,
    )
    shown = [run for run in data.sweep if run.fuel_excess == 10.0][0]
    assert shown.outputs.shape == (3, len(shown.times_h), 1)
    # The DNA-level outputs approach the network's ReLU values within the 2 hours.
    np.testing.assert_allclose(shown.outputs[:, -1, 0], [1.0, 0.0, 0.25], atol=0.05)
    assert data.output_names == ("y",)
    assert not any(isinstance(b, Figure) for b in dna_section(data).blocks)
    section = dna_section(data, tmp_path)
    figures = [b for b in section.blocks if isinstance(b, Figure)]
    assert [f.path for f in figures] == ["relu-dna-trajectories.png"]
    png = (tmp_path / "relu-dna-trajectories.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_an_unknown_crn_form_to_verify_is_refused():
    from nn2crn._errors import DNADesignError
    from nn2crn.studies.dna import dna_section_data

    crn = parse_crn("X -> Y")
    with pytest.raises(
        DNADesignError, match="unknown CRN form 'bounded' to verify; choose compiled or reduced"
    ):
        dna_section_data("x", crn, crn, verify=(("bounded", "ssw2010"),))
