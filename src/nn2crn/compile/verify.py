"""Check a compiled CRN against its network: exact stable outputs versus the forward pass.

This module imports the exact evaluator from :mod:`nn2crn.simulate` (inside the
function, so that importing :mod:`nn2crn.compile` stays light): verification is
the compiler's own correctness check, and the evaluator depends only on the CRN
type, so the dependency has no cycle (see CONTRIBUTING.md, "Layout").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._errors import InputDataError
from .._validation import as_batch

if TYPE_CHECKING:
    from ..crn import CRN, CheckReport
    from ..nn import Network

RELATIVE_TOLERANCE = 1e-9
"""An output agrees when ``|CRN - network| <= RELATIVE_TOLERANCE * max(1, magnitude)``.

``magnitude`` is :meth:`Network.forward_magnitude` (``|W|`` and ``|b|`` applied to
``|x|``), which bounds the rounding of both the forward pass and the CRN's dual rails.
"""


@dataclass(frozen=True, eq=False)
class NetworkVerification:
    """The outcome of :func:`verify_network`.

    Attributes
    ----------
    crn : CRN
        The CRN that was evaluated (compiled, or reduced when ``reduced``).
    check : CheckReport
        Its structural check.
    reduced : bool
        Whether `crn` is the reduced CRN.
    expected : ndarray of shape (n_batch, n_outputs)
        The network's forward pass on the transformed inputs.
    actual : ndarray of shape (n_batch, n_outputs)
        The CRN's exact stable outputs.
    absolute_errors, relative_errors : ndarray of shape (n_batch, n_outputs)
        ``|actual - expected|`` and that divided by ``max(1, magnitude)``.
    argmax_agrees : bool ndarray of shape (n_batch,)
        The CRN's argmax is one of the network's winners (see
        :func:`nn2crn.simulate.metrics.winners`).
    tolerance : float
        The relative tolerance applied (:data:`RELATIVE_TOLERANCE`).
    """

    crn: CRN
    check: CheckReport
    reduced: bool
    expected: np.ndarray
    actual: np.ndarray
    absolute_errors: np.ndarray
    relative_errors: np.ndarray
    argmax_agrees: np.ndarray
    tolerance: float = RELATIVE_TOLERANCE

    @property
    def n_rows(self) -> int:
        return int(self.expected.shape[0])

    @property
    def max_absolute_error(self) -> np.ndarray:
        """Largest absolute error over outputs, per row, shape (n_batch,)."""
        return self.absolute_errors.max(axis=1, initial=0.0)

    @property
    def max_relative_error(self) -> np.ndarray:
        """Largest relative error over outputs, per row, shape (n_batch,)."""
        return self.relative_errors.max(axis=1, initial=0.0)

    @property
    def mismatched(self) -> np.ndarray:
        """Rows with an output beyond the tolerance, bool of shape (n_batch,)."""
        return self.max_relative_error > self.tolerance

    @property
    def ok(self) -> bool:
        """True when every output of every row agrees within the tolerance."""
        return not bool(self.mismatched.any())

    def first_mismatch(self) -> tuple[int, int] | None:
        """``(row, output)`` of the first output beyond the tolerance, or None."""
        bad = np.argwhere(self.relative_errors > self.tolerance)
        return (int(bad[0, 0]), int(bad[0, 1])) if bad.size else None


def verify_network(
    network: Network,
    inputs: object,
    *,
    reduce: bool = False,
    keep_inputs: bool = True,
    shift_inputs: float | Sequence[float] | np.ndarray | None = None,
    rtol: float | None = 1e-9,
) -> NetworkVerification:
    """Compile `network` and compare the CRN's exact stable outputs with the forward pass.

    Parameters
    ----------
    network : Network
        Weights in {-1, 0, +1}.
    inputs : array-like of shape (n_batch, n_inputs)
        Raw feature rows; the network's ``input_transform`` (if any) is applied first.
    reduce : bool, default False
        Verify the reduced CRN (Algorithm 2) instead of the compiled one.
    keep_inputs : bool, default True
        With `reduce`: keep the input layer's reactions.
    shift_inputs : float or array-like of shape (n_inputs,), optional
        Compile with single-rail inputs shifted by these lower bounds; every
        transformed input must then be at or above its bound.
    rtol : float or None
        Accepted rounding-error bound of the CRN's exact evaluation (see
        :func:`nn2crn.simulate.stable_outputs`); None skips the check.

    Returns
    -------
    NetworkVerification
        Per-row errors and argmax agreement; ``.ok`` is the verdict.

    Raises
    ------
    InputDataError
        Inputs of the wrong shape, non-finite, or below the `shift_inputs` bound.
    CompileError
        The network cannot be compiled.
    PrecisionLossError
        The CRN's exact evaluation cannot meet `rtol` (deep networks: the rails
        outgrow their difference).

    Examples
    --------
    >>> result = verify_network(network, rows, reduce=True)  # doctest: +SKIP
    >>> result.ok, int(result.argmax_agrees.sum())  # doctest: +SKIP
    """
    from ..crn import check_crn
    from ..simulate import stable_outputs
    from ..simulate.metrics import argmax_agrees_with
    from .network_to_crn import compile_network
    from .reduce import reduce_crn

    raw = as_batch(inputs, network.n_inputs, what="inputs", column_names=network.input_names)
    crn = compile_network(network, shift_inputs=shift_inputs)
    if reduce:
        crn = reduce_crn(crn, keep_inputs=keep_inputs)
    features = network.transform(raw)
    expected = network.forward(features)
    crn_inputs = features
    if shift_inputs is not None:
        low = np.broadcast_to(np.asarray(shift_inputs, dtype=np.float64), (network.n_inputs,))
        crn_inputs = features - low
        if (crn_inputs < 0).any():
            row, column = np.argwhere(crn_inputs < 0)[0]
            raise InputDataError(
                f"row {row}: input {network.input_names[column]} (after the input transform) is "
                f"{features[row, column]:.6g}, below the shift_inputs bound {low[column]}; "
                f"choose a lower bound"
            )
    actual = stable_outputs(crn, crn_inputs, rtol=rtol)
    absolute = np.abs(actual - expected)
    relative = absolute / np.maximum(1.0, network.forward_magnitude(features))
    return NetworkVerification(
        crn=crn,
        check=check_crn(crn),
        reduced=reduce,
        expected=expected,
        actual=actual,
        absolute_errors=absolute,
        relative_errors=relative,
        argmax_agrees=argmax_agrees_with(actual, expected),
    )
