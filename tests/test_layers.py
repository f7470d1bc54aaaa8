"""The layout's import rules (CONTRIBUTING.md, "Layout"), checked on the source with `ast`.

Every ``import`` and ``from ... import`` in every module counts, including those
inside functions and under ``TYPE_CHECKING``: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "nn2crn"

BASE_MODULES = (
    "_arrays",
    "_csv_native",
    "_errors",
    "_extensions",
    "_frozen",
    "_kernel_cache",
    "_lazy",
    "_limits",
    "_validation",
    "_version",
    "_writing",
)
"""Top-level modules of the base layer; everything may import them."""

_STUDIES = {"base", "datasets", "nn", "torch", "crn", "simulate", "compile", "dna", "studies"}
ALLOWED: dict[str, frozenset[str]] = {
    "base": frozenset({"base"}),
    "datasets": frozenset({"base", "datasets"}),
    "nn": frozenset({"base", "datasets", "nn"}),
    "crn": frozenset({"base", "crn"}),
    "simulate": frozenset({"base", "crn", "simulate"}),
    # compile produces a CRN and verifies it with the exact evaluator (compile.verify)
    "compile": frozenset({"base", "nn", "crn", "simulate", "compile"}),
    # nn2crn.torch: the public face of nn.torch (the quantized modules), a re-export only
    "torch": frozenset({"base", "datasets", "nn", "torch"}),
    "dna": frozenset({"base", "crn", "dna"}),
    "studies": frozenset(_STUDIES),
    "sweep": frozenset(_STUDIES | {"sweep"}),
    "report": frozenset(_STUDIES | {"sweep", "report"}),
    "cli": frozenset(_STUDIES | {"sweep", "report", "cli"}),
}
"""Stage -> the stages its modules may import (see the picture in CONTRIBUTING.md)."""

CLI_ONLY = ("click",)
"""Third-party packages only cli/ may import."""

TERMINAL = ("rich",)
"""Terminal rendering: cli/ and report/ only, plus the modules in `TERMINAL_EXCEPTIONS`."""

TERMINAL_EXCEPTIONS = {
    # the download bar of an opt-in network fetch (download_mnist(progress=True))
    "datasets.mnist",
}

ROOT_NAMES = ("__version__",)
"""Names that may be imported from the root package (its lazy API is for users, not modules)."""


def _stage(module: str) -> str | None:
    """Stage of a dotted module path relative to the package (``crn.text`` -> ``crn``)."""
    head = module.split(".")[0]
    if head in BASE_MODULES:
        return "base"
    if head == "__main__":  # ``python -m nn2crn`` only starts the command line
        return "cli"
    return head if head in ALLOWED else None


def _module_of(path: Path, root: Path) -> tuple[str, bool]:
    """(dotted module path relative to the package, whether it is a package __init__)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _imports(tree: ast.AST, module: str, is_package: bool, package: str) -> list[tuple[int, str, str]]:
    """(line, imported module relative to the package or '' for the root, name) per import.

    Third-party imports are returned with the top-level distribution name and a
    leading ``!``.
    """
    found: list[tuple[int, str, str]] = []
    here = module.split(".") if module else []
    if not is_package:
        here = here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                if name == package or name.startswith(package + "."):
                    found.append((node.lineno, name[len(package) + 1 :], ""))
                else:
                    found.append((node.lineno, "!" + name.split(".")[0], ""))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                name = node.module or ""
                if name != package and not name.startswith(package + "."):
                    found.append((node.lineno, "!" + name.split(".")[0], ""))
                    continue
                target = name[len(package) + 1 :]
            else:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                found.append((node.lineno, target, alias.name))
    return found


def layer_violations(root: Path) -> list[str]:
    """Every import in the package at `root` that breaks the layout rules, as ``file:line: why``."""
    package = root.name
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        module, is_package = _module_of(path, root)
        where = f"{path.relative_to(root.parent)}"
        if not module:
            continue  # the root facade re-exports every stage
        stage = _stage(module)
        if stage is None:
            problems.append(f"{where}:1: {module.split('.')[0]} is not a stage; add it to ALLOWED")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, target, name in _imports(tree, module, is_package, package):
            if target.startswith("!"):
                library = target[1:]
                if library in CLI_ONLY and stage != "cli":
                    problems.append(f"{where}:{line}: imports {library} outside cli/")
                if (
                    library in TERMINAL
                    and stage not in ("cli", "report")
                    and module not in TERMINAL_EXCEPTIONS
                ):
                    problems.append(f"{where}:{line}: imports {library} outside cli/ and report/")
                continue
            if not target:
                if (root / name).is_dir() or (root / f"{name}.py").is_file():
                    target = name  # ``from .. import crn``: the subpackage itself
                elif name in ROOT_NAMES:
                    continue
                else:
                    problems.append(
                        f"{where}:{line}: imports {name} from the root package; import it from its module"
                    )
                    continue
            target_stage = _stage(target)
            if target_stage is None:
                problems.append(f"{where}:{line}: imports {target}, which is in no stage")
            elif target_stage not in ALLOWED[stage]:
                problems.append(f"{where}:{line}: {stage} may not import {target_stage} ({target})")
            if (
                stage == "cli"
                and module.endswith("_cmd")
                and target.startswith("cli.")
                and target.endswith("_cmd")
                and target != module
            ):
                problems.append(f"{where}:{line}: command {module} imports command {target}")
    return problems


def test_the_package_follows_the_layout():
    assert layer_violations(SOURCE) == []


def test_every_stage_may_import_itself_and_the_base_and_cli_may_import_all():
    for stage, allowed in ALLOWED.items():
        assert {"base", stage} <= allowed
    assert ALLOWED["cli"] == frozenset(ALLOWED)


def test_no_two_stages_may_import_each_other():
    for stage, allowed in ALLOWED.items():
        for other in allowed - {stage}:
            assert stage not in ALLOWED[other], f"{stage} and {other} may import each other"


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "nn2crn"
    for name, text in {"__init__.py": "", "_errors.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        for folder in path.relative_to(root).parents:
            (root / folder / "__init__.py").touch()
    return root


def test_allowed_imports_pass_in_a_planted_tree(tmp_path):
    root = _plant(
        tmp_path,
        {
            "crn/crn.py": "from .._errors import X\nimport numpy\n",
            "compile/verify.py": "def f():\n    from ..simulate import exact\n    from ..crn import crn\n",
            "simulate/exact.py": "from ..crn.crn import CRN\n",
            "cli/a_cmd.py": "import click\nfrom ._output import echo\nfrom ..compile import verify\n",
            "cli/_output.py": "import rich\n",
            "nn/x.py": "from .. import __version__\n",
        },
    )
    assert layer_violations(root) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"crn/text.py": "from ..compile import compile_network\n"},
            "crn/text.py:1: crn may not import compile",
        ),
        (
            {"simulate/ode.py": "import os\n\ndef f():\n    from nn2crn.report import html\n"},
            "simulate/ode.py:4: simulate may not import report (report)",
        ),
        (
            {"nn/x.py": "from ..datasets.base import Dataset\nfrom ..crn import CRN\n"},
            "nn/x.py:2: nn may not",
        ),
        ({"datasets/y.py": "import click\n"}, "datasets/y.py:1: imports click outside cli/"),
        ({"simulate/t.py": "from rich.table import Table\n"}, "imports rich outside cli/ and report/"),
        (
            {"cli/a_cmd.py": "from .b_cmd import helper\n", "cli/b_cmd.py": ""},
            "command cli.a_cmd imports command cli.b_cmd",
        ),
        ({"crn/z.py": "from .. import compile_network\n"}, "imports compile_network from the root package"),
        ({"widgets/w.py": ""}, "widgets is not a stage; add it to ALLOWED"),
    ],
)
def test_a_planted_bad_import_is_reported(tmp_path, files, expected):
    problems = layer_violations(_plant(tmp_path, files))
    assert any(expected in problem for problem in problems), problems
