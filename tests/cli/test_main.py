"""The nn2crn command group: argument errors and a light --help."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compile", "missing.json"], "missing.json: no such file"),
        (["check", "missing.crn"], "missing.crn: no such file"),
        (["verify", "MODEL", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["verify", "MODEL"], "give exactly one of --inputs X.csv or --dataset NAME"),
        (["compile", "MODEL", "--shift-inputs", "1,2"], "expected one lower bound or 4"),
        (["compile", "MODEL", "--shift-inputs", "low"], "--shift-inputs: 'low' is not a number"),
        (["compile", "MODEL", "-o", "MODEL"], "would overwrite an input file"),
    ],
)
def test_bad_arguments_exit_2(model, run_cli, args, message):
    args = [str(model[0]) if a == "MODEL" else a for a in args]
    before = model[0].read_bytes()
    code, _, err = run_cli(*args)
    assert code == 2 and message in err and "Traceback" not in err
    assert model[0].read_bytes() == before


def test_help_is_light_and_import_does_not_load_heavy_modules():
    script = (
        "import sys, nn2crn, nn2crn.cli\n"
        "from nn2crn.cli import main\n"
        "code = main(['--help'])\n"
        "heavy = [m for m in ('torch', 'matplotlib', 'libsbml', 'roadrunner', 'sklearn', 'numba') if m in sys.modules]\n"
        "print(code, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "0 []"
    for command in ("compile", "check", "eval", "verify"):
        assert command in result.stdout
