"""The ``nn2crn`` command line.

Each subcommand lives in its own module and is imported only when it runs, so
``nn2crn --help`` is instant and never imports torch. Errors derived from
:class:`nn2crn.NN2CRNError` are caught once, here: one line on stderr, exit 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from .._errors import NN2CRNError

# name -> (module, attribute, one-line help). Adding a command means adding a line here.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "train": (
        "nn2crn.cli.train_cmd",
        "train_command",
        "Train a binary/ternary-weight ReLU network (needs nn2crn[train]).",
    ),
    "datasets": (
        "nn2crn.cli.datasets_cmd",
        "datasets_command",
        "List the datasets and where their data comes from.",
    ),
    "compile": ("nn2crn.cli.compile_cmd", "compile_command", "Compile a model JSON into a .crn file."),
    "check": (
        "nn2crn.cli.check_cmd",
        "check_command",
        "Check a CRN's structure (feed-forward, non-competitive).",
    ),
    "eval": ("nn2crn.cli.eval_cmd", "eval_command", "Exact stable outputs of a CRN for rows of inputs."),
    "verify": (
        "nn2crn.cli.verify_cmd",
        "verify_command",
        "Compile a model and compare the CRN with the network.",
    ),
    "simulate": (
        "nn2crn.cli.simulate_cmd",
        "simulate_command",
        "Simulate a CRN (ODE or SSA) for rows of inputs.",
    ),
    "robustness": (
        "nn2crn.cli.robustness_cmd",
        "robustness_command",
        "Outputs under random rate constants; ReLU-rate speed-up.",
    ),
    "ssa-study": (
        "nn2crn.cli.ssa_study_cmd",
        "ssa_study_command",
        "Accuracy of a CRN's answers versus volume (exact SSA).",
    ),
    "export": (
        "nn2crn.cli.export_cmd",
        "export_command",
        "Export a CRN as SBML (or .crn with an input row loaded).",
    ),
    "import": (
        "nn2crn.cli.import_cmd",
        "import_command",
        "Read SBML/CRNSimulator as a .crn file, or ONNX as model JSON.",
    ),
    "demo": (
        "nn2crn.cli.demo_cmd",
        "demo_command",
        "IRIS end to end: compile, check, evaluate, simulate, report.",
    ),
    "reproduce": (
        "nn2crn.cli.reproduce_cmd",
        "reproduce_command",
        "Reproduce the paper's experiments as one table.",
    ),
    "dna": (
        "nn2crn.cli.dna_cmd",
        "dna_command",
        "DNA strand-displacement design: compile, cost, verify, simulate.",
    ),
    "depth-study": (
        "nn2crn.cli.depth_study_cmd",
        "depth_study_command",
        "Settling time versus network depth and width.",
    ),
    "import-onnx": (
        "nn2crn.cli.import_onnx",
        "import_onnx_command",
        "Deprecated: use `nn2crn import MODEL.onnx`.",
    ),
    "export-onnx": ("nn2crn.cli.export_onnx_cmd", "export_onnx_command", "Write a model JSON as ONNX."),
    "sweep": (
        "nn2crn.cli.sweep_cmd",
        "sweep_command",
        "Run a sweep spec on Dask, resumably (needs nn2crn[sweep]).",
    ),
    "sweep-report": ("nn2crn.cli.sweep_cmd", "sweep_report_command", "Plots and tables of a finished sweep."),
    "warm-up": (
        "nn2crn.cli.warmup_cmd",
        "warmup_command",
        "Compile the simulation kernels once, after installing.",
    ),
}


# Commands that come before simulations in a session start the kernels' warm-up in the
# background when numba's cache is cold; the simulating ones wait for a running warm-up
# rather than compile the same kernels at the same time (nn2crn._kernel_cache).
STARTS_WARM_UP = frozenset({"compile", "check", "eval", "verify", "export", "import", "datasets", "train"})
WAITS_FOR_WARM_UP = frozenset({"simulate", "robustness", "ssa-study", "demo", "reproduce", "depth-study"})
NO_AUTO_WARM_UP = "NN2CRN_NO_AUTO_WARMUP"
"""Environment variable: set to 1 to never start the background warm-up."""


def _automatic_warm_up(name: str) -> None:
    import os

    if os.environ.get(NO_AUTO_WARM_UP) == "1" or name not in STARTS_WARM_UP | WAITS_FOR_WARM_UP:
        return
    from .. import _kernel_cache

    if name in STARTS_WARM_UP:
        _kernel_cache.start_background_warm_up()
    else:
        _kernel_cache.wait_for_background_warm_up()


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        from ._numbers import guard_numbers

        module_name, attribute, _ = COMMANDS[name]
        if "--help" not in sys.argv and "-h" not in sys.argv:
            _automatic_warm_up(name)
        return guard_numbers(getattr(importlib.import_module(module_name), attribute))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help comes from COMMANDS so that --help imports no subcommand module.
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _version() -> str:
    from .._version import __version__

    return __version__


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="nn2crn")
def app() -> None:
    """nn2crn: binary-weight ReLU networks as rate-independent chemical reaction networks."""


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    import gc

    gc.unfreeze()  # what an earlier in-process call froze (below) is collectable again
    try:
        return _run(argv)
    finally:
        # The process usually exits now: frozen, what the command leaves is skipped by the
        # interpreter's final collections (15 ms of a 0.3 s `nn2crn eval`).
        gc.freeze()


def _run(argv: list[str] | None) -> int:
    from .._writing import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()
    try:
        result = app.main(args=argv, prog_name="nn2crn", standalone_mode=False)
    except NN2CRNError as error:
        from ._messages import cli_message

        click.echo(f"error: {cli_message(str(error))}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return 2
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
