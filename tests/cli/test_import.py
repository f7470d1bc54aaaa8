"""``nn2crn import``: SBML and CRNSimulator files to .crn, --function, suffix table, errors."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.cli.import_cmd import NETWORK_READERS, READERS
from nn2crn.compile import compile_network
from nn2crn.crn import read_crn, write_crn
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
from tests.helpers import write_inputs_csv

TWO_FUNCTIONS = """\
(* two reaction systems *)
double[xSposInitial_, xSnegInitial_] := {
  conc[xSpos, xSposInitial], conc[xSneg, xSnegInitial],
  rxn[xSpos, 2 ySpos, 1], rxn[xSneg, 2 ySneg, 1]
};
source = {rxn[0, a, 2], conc[a, 1.5]}
"""


@pytest.fixture
def crn_file(tmp_path):
    crn = compile_network(random_ternary_network((2, 3, 2), rng=np.random.default_rng(2)))
    path = tmp_path / "net.crn"
    write_crn(crn, path)
    return crn, path


def test_wls_with_function_imports_and_evaluates(run_cli, tmp_path):
    source = tmp_path / "nets.wls"
    source.write_text(TWO_FUNCTIONS)
    out = tmp_path / "double.crn"
    code, stdout, stderr = run_cli("import", source, "--function", "double", "-o", out)
    assert code == 0, stderr
    assert stdout == ""
    assert "imported" in stderr and "inputs x, outputs y" in stderr
    crn = read_crn(out)
    assert "imported from CRNSimulator (Mathematica) file" in out.read_text()
    x = np.array([[1.5], [-0.25]])
    np.testing.assert_allclose(stable_outputs(crn, x), 2 * x)
    code, stdout, stderr = run_cli("eval", out, "--inputs", write_inputs_csv(tmp_path / "x.csv", ["x"], x))
    assert code == 0, stderr


def test_wls_with_several_functions_needs_function(run_cli, tmp_path):
    source = tmp_path / "nets.m"
    source.write_text(TWO_FUNCTIONS)
    code, stdout, stderr = run_cli("import", source)
    assert code == 2 and stdout == ""
    assert "nets.m: the file defines 2 functions (double, source); pick one with --function NAME" in stderr
    assert "Traceback" not in stderr


def test_a_syntax_error_names_file_line_and_column(run_cli, tmp_path):
    source = tmp_path / "bad.wls"
    source.write_text("f = {\n  rxn[a, b, 1],\n  Print[1]\n}\n")
    code, _, stderr = run_cli("import", source)
    assert code == 2
    assert (
        f"error: {source}:3:3: 'Print' is not supported; only rxn[...], revrxn[...] and conc[...]" in stderr
    )


@pytest.mark.parametrize("target", ["sbml", "wls"])
def test_export_then_import_round_trips(run_cli, crn_file, tmp_path, target):
    pytest.importorskip("libsbml")
    crn, path = crn_file
    exported = tmp_path / ("net.xml" if target == "sbml" else "net.wls")
    code, _, stderr = run_cli("export", path, "--to", target, "-o", exported)
    assert code == 0, stderr
    back = tmp_path / "back.crn"
    code, _, stderr = run_cli("import", exported, "-o", back)
    assert code == 0, stderr
    imported = read_crn(back)
    if target == "sbml":
        assert imported == crn
    else:
        from nn2crn.crn.wls import rename_species, wls_species_names

        assert imported == rename_species(crn, wls_species_names(crn))
    x = np.array([[0.75, -1.5]])
    np.testing.assert_allclose(stable_outputs(imported, x), stable_outputs(crn, x), rtol=1e-12)


def test_sbml_refusal_and_misused_function_exit_2(run_cli, tmp_path):
    antimony = pytest.importorskip("antimony")
    antimony.loadAntimonyString("J0: A -> B; k*A/(1+A); k = 1; A = 1; B = 0")
    source = tmp_path / "model.sbml"
    source.write_text(antimony.getSBMLString(antimony.getMainModuleName()))
    code, stdout, stderr = run_cli("import", source, "-o", tmp_path / "out.crn")
    assert code == 2 and stdout == ""
    assert "SBML <reaction> id 'J0': kinetic law 'k * A / (1 + A)' is not mass action" in stderr
    assert not (tmp_path / "out.crn").exists()
    code, _, stderr = run_cli("import", source, "--function", "f")
    assert code == 2 and "--function picks a function of a CRNSimulator .wls/.m file" in stderr


def test_unknown_suffix_missing_file_and_overwriting_the_input(run_cli, tmp_path):
    code, _, stderr = run_cli("import", tmp_path / "net.json")
    assert code == 2 and "unknown model file suffix '.json'; nn2crn imports .xml (SBML)" in stderr
    code, _, stderr = run_cli("import", tmp_path / "missing.wls")
    assert code == 2 and "missing.wls: no such file" in stderr
    source = tmp_path / "net.wls"
    source.write_text(TWO_FUNCTIONS)
    code, _, stderr = run_cli("import", source, "--function", "source", "-o", source)
    assert code == 2 and "overwrite an input file" in stderr
    assert source.read_text() == TWO_FUNCTIONS
    code, _, stderr = run_cli("import", source, "--function", "source", "--force")
    assert code == 2 and "--float-weights and --force apply to ONNX models; " in stderr


def test_the_suffix_table_is_the_one_place_formats_are_listed():
    assert {".xml", ".sbml", ".wls", ".m"} <= set(READERS)
    assert all(callable(reader) and name for reader, name in READERS.values())
    assert ".onnx" in NETWORK_READERS and not set(NETWORK_READERS) & set(READERS)
