"""The ahead-of-time compiled ODE kernel (``_ode_ckernel.c``), called through ctypes.

``pip install`` compiles ``_ode_ckernel.c`` into the extension module
``nn2crn.simulate._ode_ckernel`` (setup.py; optional, so an install without a C compiler
still succeeds and falls back to numba). It is a port of :func:`._ode_numba.integrate_chunk`
for a whole system (no driven species, no layered stages) with the same arithmetic; what it
saves is numba in a fresh process: importing numba and LLVM and loading the cached kernel.
This module imports neither numba nor scipy.

ctypes releases the GIL during the call, so :mod:`.ode` runs chunks of rows on parallel
threads. The same library holds the strongly connected components routine of the plan
(:func:`strong_components`).
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from .._extensions import open_extension
from ._ode_control import ChunkStats, StepControl
from ._ode_plan import KernelPlan
from ._ode_rodas import KernelTableau

_MODULE = "nn2crn.simulate._ode_ckernel"

# The order of the C kernel's array pointers, sizes and parameters (the enums in _ode_ckernel.c).
_ARRAYS = (
    "y",
    "coef",
    "times",
    "store_idx",
    "out",
    *("rate", "react_ptr", "react_idx", "react_pow", "stoich_ptr", "stoich_idx", "stoich_val"),
    *("group_rate", "group", "target"),
    *("var_slot", "var_slot_reaction", "var_ptr", "var_pos", "var_val"),
    *("block_start", "lowerc_ptr", "lowerc_col", "lowerc_val", "lowerv_ptr", "lowerv_col", "lowerv_idx"),
    *(
        "lowerv_const",
        "inblock_ptr",
        "inblock_row",
        "inblock_col",
        "inblock_var",
        "inblock_const",
        "lu_offset",
    ),
    *("a", "c_coupling", "c", "d", "dense"),
)
_FLOAT_ARRAYS = frozenset(
    (
        "y",
        "coef",
        "times",
        "out",
        "rate",
        "stoich_val",
        "group_rate",
        "var_val",
        "lowerc_val",
        "lowerv_const",
        "inblock_const",
        "a",
        "c_coupling",
        "c",
        "d",
        "dense",
    )
)
_N_DIMS = 13
_N_PARAMS = 8
_OUT_OF_MEMORY = -1


@functools.cache
def _load() -> ctypes.CDLL | None:
    """The C library, or None when the extension was not built (no compiler at install time)."""
    library = open_extension(_MODULE)
    if library is None:
        return None
    pointer = ctypes.c_void_p
    library.nn2crn_ode_chunk.restype = ctypes.c_int
    library.nn2crn_ode_chunk.argtypes = [pointer] * 5
    library.nn2crn_ode_inflow.restype = None
    library.nn2crn_ode_inflow.argtypes = [
        ctypes.c_int64,
        pointer,
        pointer,
        pointer,
        pointer,
        ctypes.c_int64,
        pointer,
    ]
    library.nn2crn_csr_of_edges.restype = ctypes.c_int64
    library.nn2crn_csr_of_edges.argtypes = [
        ctypes.c_int64,
        ctypes.c_int64,
        pointer,
        pointer,
        pointer,
        pointer,
    ]
    library.nn2crn_scc.restype = ctypes.c_int64
    library.nn2crn_scc.argtypes = [ctypes.c_int64, pointer, pointer, pointer]
    return library


def available() -> bool:
    """True when the C kernel was built (and may be used)."""
    return _load() is not None


def _address(array: np.ndarray, name: str) -> int:
    """The data pointer of a C-contiguous array of the dtype the C code reads (checked: a wrong one corrupts memory)."""
    expected = np.float64 if name in _FLOAT_ARRAYS else np.int64
    if array.dtype != expected or not array.flags.c_contiguous:
        raise TypeError(f"C ODE kernel: {name} must be a C-contiguous {np.dtype(expected).name} array")
    return int(array.ctypes.data)


def integrate_chunk(
    y: np.ndarray,
    coef: np.ndarray,
    times: np.ndarray,
    store_idx: np.ndarray,
    out: np.ndarray,
    plan: KernelPlan,
    tableau: KernelTableau,
    control: StepControl,
) -> ChunkStats:
    """Integrate a whole system's chunk: :func:`._ode_numba.integrate_chunk` without drive or tape.

    `y` (n_dyn, n_chunk) is overwritten with the final state and `out`
    (n_chunk, n_times, n_store) with the samples, as there.
    """
    library = _load()
    if library is None:  # pragma: no cover - callers check available()
        raise RuntimeError("the C ODE kernel is not built")
    terms, forcing, jacobian, blocks = plan
    n_dyn = int(blocks.block_start[-1])
    n_chunk = int(y.shape[1])
    n_stages = int(tableau.c.shape[0])
    # The C code trusts every index: refuse arrays whose shapes disagree with the plan's.
    shapes_agree = (
        y.shape == (n_dyn, n_chunk)
        and coef.shape == (forcing.target.shape[0], n_chunk)
        and times.ndim == 1
        and times.shape[0] >= 1
        and out.shape == (n_chunk, times.shape[0], store_idx.shape[0])
        and (store_idx.size == 0 or 0 <= int(store_idx.min()) <= int(store_idx.max()) < n_dyn)
        and tableau.a.shape == tableau.c_coupling.shape == (n_stages, n_stages)
        and tableau.d.shape == (n_stages,)
        and tableau.dense.shape[1:] == (n_stages,)
        and terms.react_ptr.shape == terms.stoich_ptr.shape == (terms.rate.shape[0] + 1,)
        and blocks.lu_offset.shape == blocks.block_start.shape
        and y.flags.writeable
        and out.flags.writeable
    )
    if not shapes_agree:
        raise ValueError("C ODE kernel: the chunk, plan and tableau arrays disagree in shape or index range")
    sources = {"y": y, "coef": coef, "times": times, "store_idx": store_idx, "out": out}
    for group in (terms, forcing, jacobian, blocks, tableau):
        sources.update(
            (name, value) for name, value in group._asdict().items() if isinstance(value, np.ndarray)
        )
    arrays = (ctypes.c_void_p * len(_ARRAYS))(*(_address(sources[name], name) for name in _ARRAYS))
    dims = np.array(
        [
            n_chunk,
            times.shape[0],
            store_idx.shape[0],
            terms.rate.shape[0],
            forcing.group_rate.shape[0],
            forcing.target.shape[0],
            jacobian.var_slot.shape[0],
            jacobian.n_variable,
            blocks.block_start.shape[0] - 1,
            n_stages,
            tableau.dense.shape[0],
            terms.rate_law,
            control.max_steps,
        ],
        dtype=np.int64,
    )
    params = np.array(
        [
            terms.saturation,
            tableau.gamma,
            control.rtol,
            control.atol,
            control.exponent,
            control.safety,
            control.factor_min,
            control.factor_max,
        ]
    )
    assert dims.shape == (_N_DIMS,) and params.shape == (_N_PARAMS,)
    istats = np.zeros(5, dtype=np.int64)
    fstats = np.zeros(2)
    code = library.nn2crn_ode_chunk(
        ctypes.addressof(arrays), dims.ctypes.data, params.ctypes.data, istats.ctypes.data, fstats.ctypes.data
    )
    if code == _OUT_OF_MEMORY:
        raise MemoryError("C ODE kernel: out of memory for the chunk's scratch arrays")
    status, worst, steps, rejected, rhs = (int(value) for value in istats)
    return ChunkStats(status, float(fstats[0]), worst, steps, rejected, rhs, float(fstats[1]))


def csr_of_edges(n_nodes: int, sources: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR adjacency ``(indptr, indices)`` of the edges ``sources[e] -> targets[e]``, each row's
    targets increasing (repeats kept); linear time (counting sorts). Needs the extension."""
    library = _load()
    if library is None:  # pragma: no cover - callers check available()
        raise RuntimeError("the C ODE kernel is not built")
    sources = np.ascontiguousarray(sources, dtype=np.int64)
    targets = np.ascontiguousarray(targets, dtype=np.int64)
    if sources.shape != targets.shape or sources.ndim != 1:
        raise ValueError("csr_of_edges: sources and targets must be 1D arrays of one length")
    for ends in (sources, targets):
        if ends.size and not (0 <= int(ends.min()) and int(ends.max()) < n_nodes):
            raise ValueError("csr_of_edges: an edge end is not a node")
    indptr = np.empty(n_nodes + 1, dtype=np.int64)
    indices = np.empty(sources.shape[0], dtype=np.int64)
    code = library.nn2crn_csr_of_edges(
        n_nodes,
        sources.shape[0],
        sources.ctypes.data,
        targets.ctypes.data,
        indptr.ctypes.data,
        indices.ctypes.data,
    )
    if code < 0:
        raise MemoryError("csr_of_edges: out of memory")
    return indptr, indices


def strong_components(n_nodes: int, indptr: np.ndarray, indices: np.ndarray) -> tuple[int, np.ndarray]:
    """Strongly connected components of a CSR graph, numbered in the order they complete
    (as :func:`scipy.sparse.csgraph.connected_components` numbers them).

    Returns ``(n_components, labels)``. Needs the extension (:func:`available`).
    """
    library = _load()
    if library is None:  # pragma: no cover - callers check available()
        raise RuntimeError("the C ODE kernel is not built")
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=np.int64)
    if indptr.shape != (n_nodes + 1,) or (
        indices.size and not (0 <= int(indices.min()) and int(indices.max()) < n_nodes)
    ):
        raise ValueError("strong_components: indptr or indices do not describe a graph of n_nodes nodes")
    labels = np.empty(n_nodes, dtype=np.int64)
    count = library.nn2crn_scc(n_nodes, indptr.ctypes.data, indices.ctypes.data, labels.ctypes.data)
    if count < 0:
        raise MemoryError("strong_components: out of memory")
    return int(count), labels


def inflow_coefficients(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, x0: np.ndarray, n_force: int
) -> np.ndarray:
    """``coef[cols[e]] += vals[e] * x0[:, rows[e]]`` over the entries in order: (n_force, n_batch).

    Needs the extension (:func:`available`).
    """
    library = _load()
    if library is None:  # pragma: no cover - callers check available()
        raise RuntimeError("the C ODE kernel is not built")
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    vals = np.ascontiguousarray(vals, dtype=np.float64)
    x0t = np.ascontiguousarray(np.asarray(x0, dtype=np.float64).T)
    n_species, n_batch = x0t.shape
    if not (
        rows.shape == cols.shape == vals.shape
        and rows.ndim == 1
        and (
            rows.size == 0
            or (0 <= rows.min() and rows.max() < n_species and 0 <= cols.min() and cols.max() < n_force)
        )
    ):
        raise ValueError("inflow_coefficients: entries out of range")
    coef = np.zeros((n_force, n_batch))
    library.nn2crn_ode_inflow(
        rows.shape[0],
        rows.ctypes.data,
        cols.ctypes.data,
        vals.ctypes.data,
        x0t.ctypes.data,
        n_batch,
        coef.ctypes.data,
    )
    return coef
