"""Exception hierarchy.

Every error caused by bad user input derives from :class:`NN2CRNError`. The CLI
catches that base class once, prints its message on one line and exits 2.

Value types check their invariants when built and raise their domain's class:
``CRN``, ``Reaction`` and ``Signal`` raise :class:`CRNStructureError`; ``Layer``,
``InputTransform``, ``Network`` and ``TrainConfig`` raise :class:`ModelFileError`;
``Split`` and ``Dataset`` raise :class:`DatasetError`. These three classes also
derive from :class:`ValueError`, the conventional type of a bad argument value.
"""

from __future__ import annotations


class NN2CRNError(Exception):
    """Base class for every error nn2crn raises about its inputs."""


class CRNFormatError(NN2CRNError):
    """A `.crn` text file (or string) does not follow the format.

    The message starts with ``file:line:col`` and shows the line with a caret.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "<string>",
        line: int | None = None,
        column: int | None = None,
        text: str | None = None,
    ) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.column = column
        self.text = text
        where = source
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        full = f"{where}: {message}"
        if text is not None and column is not None:
            full += f"\n    {text}\n    {' ' * (column - 1)}^"
        super().__init__(full)


class CRNStructureError(NN2CRNError, ValueError):
    """A CRN is well formed but lacks a property an operation needs.

    For example the exact evaluator needs a feed-forward, non-competitive CRN.
    """


class CoefficientOverflowError(CRNStructureError):
    """A transformation would need stoichiometric coefficients too large to hold exactly.

    Reduction composes coefficients in float64, which is exact only up to 2**53.
    """


class CompileError(NN2CRNError):
    """A network cannot be compiled, e.g. a weight outside {-1, 0, +1}."""


class SimulationError(NN2CRNError):
    """A simulation failed or was asked for with invalid settings."""


class PrecisionLossError(SimulationError):
    """Float evaluation cannot guarantee the requested accuracy (rounding error bound too large).

    Raised by the exact evaluator when a row's a-posteriori error bound exceeds the
    tolerance even after re-evaluating it in extended precision.
    """


class ModelFileError(NN2CRNError, ValueError):
    """A network model file (JSON) is malformed, or a network value breaks an invariant.

    Messages about a file name the JSON path.
    """


class DatasetError(NN2CRNError, ValueError):
    """A dataset is unknown, missing or corrupt."""


class InputDataError(NN2CRNError):
    """User-supplied input values (CSV rows, arrays) are malformed."""


class SBMLExportError(NN2CRNError):
    """SBML export is unavailable (libsbml missing) or produced an invalid document."""


class DNADesignError(NN2CRNError):
    """A CRN cannot be translated into a DNA strand-displacement system with the given options."""


class OutputError(InputDataError):
    """An output path cannot be written: a directory, a missing or read-only folder, an input file."""
