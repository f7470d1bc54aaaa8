"""COMBINE archive (OMEX) export: the SBML model plus a SED-ML experiment over input rows.

Needs python-libsedml and python-libcombine (the optional ``omex`` extra) and
python-libsbml (``sbml``). The archive holds

- ``model.xml``: :func:`nn2crn.crn.sbml.to_sbml` as SBML Level 3 Version 2, with
  only the fixed ``@initial`` amounts (every input 0);
- ``simulation.sedml``: SED-ML Level 1 Version 4 with

  - a uniform time course from 0 to `t_end` with `n_points` points, solved by
    CVODE (KISAO:0000019) for ``method="ode"`` or Gillespie's direct method
    (KISAO:0000029) for ``method="ssa"``, with nn2crn's tolerances as algorithm
    parameters;
  - a task running it, and a ``repeatedTask`` ``rows`` over the input rows
    (master vector range ``row`` = 0, 1, ...; one more vector range per input
    species holding its initial amount for every row) whose ``setValue``
    changes load each row, resetting the model between rows;
  - data generators ``time`` and one per declared output, the dual-rail
    difference ``sum(positive) - sum(negative)``, and a report of them;

- ``manifest.xml`` and ``metadata.rdf`` (OMEX description naming nn2crn and the
  source model).

With the compartment of size 1, a species' concentration equals its amount, so
a SED-ML tool's species values are nn2crn's amounts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputDataError, SBMLExportError
from .crn import CRN, Signal
from .sbml import to_sbml

SEDML_LEVEL = 1
SEDML_VERSION = 4
MODEL_LOCATION = "model.xml"
SEDML_LOCATION = "simulation.sedml"
KISAO_CVODE = "KISAO:0000019"
KISAO_GILLESPIE_DIRECT = "KISAO:0000029"
KISAO_RELATIVE_TOLERANCE = "KISAO:0000209"
KISAO_ABSOLUTE_TOLERANCE = "KISAO:0000211"
KISAO_SEED = "KISAO:0000488"
METHODS = ("ode", "ssa")
SBML_LANGUAGE = "urn:sedml:language:sbml.level-3.version-2"


def _libraries() -> tuple[Any, Any]:
    try:
        import libcombine  # type: ignore[import-untyped]
        import libsedml  # type: ignore[import-untyped]
    except ImportError:
        raise SBMLExportError(
            "OMEX export needs python-libsedml and python-libcombine, which are not installed; install "
            "them with `pip install nn2crn[omex]`"
        ) from None
    return libsedml, libcombine


def _check(code: int, what: str) -> None:
    # libsedml and libcombine both return 0 (LIBSBML_OPERATION_SUCCESS) on success.
    if code != 0:
        raise SBMLExportError(f"libsedml failed to {what} (code {code})")


def _species_target(name: str) -> str:
    return f"/sbml:sbml/sbml:model/sbml:listOfSpecies/sbml:species[@id='{name}']"


def _input_species(crn: CRN) -> list[str]:
    names: dict[str, None] = {}
    for signal in crn.inputs:
        for name, _ in (*signal.positive, *signal.negative):
            names[name] = None
    return list(names)


def _signal_formula(signal: Signal, variable_ids: dict[str, str]) -> str:
    def side(terms: tuple[tuple[str, int], ...]) -> str:
        return " + ".join(
            variable_ids[name] if count == 1 else f"{count} * {variable_ids[name]}" for name, count in terms
        )

    formula = side(signal.positive)
    if signal.negative:
        formula = f"{formula} - ({side(signal.negative)})"
    if signal.scale != 1:
        # The species hold scale x the value (rational weights); the report gives the value.
        formula = f"({formula}) / {signal.scale!r}"
    return formula


def to_sedml(
    crn: CRN,
    input_values: object = None,
    *,
    t_end: float,
    n_points: int = 101,
    method: str = "ode",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    seed: int | None = None,
    model_source: str = MODEL_LOCATION,
) -> str:
    """A SED-ML Level 1 Version 4 document running `crn` for every row of inputs.

    Parameters
    ----------
    crn : CRN
    input_values : array-like of shape (n_batch, n_inputs), or None
        Rows of input values; None for a CRN without inputs (one run).
    t_end : float
        End of the uniform time course, > 0.
    n_points : int
        Number of output points, including 0 and `t_end` (>= 2).
    method : {"ode", "ssa"}
        CVODE or Gillespie's direct method.
    rtol, atol : float
        ODE tolerances, written as KiSAO algorithm parameters.
    seed : int, optional
        SSA random seed, written as a KiSAO algorithm parameter.
    model_source : str
        Location of the SBML model, relative to the SED-ML file.

    Returns
    -------
    str
        The SED-ML document (XML).

    Raises
    ------
    InputDataError
        Bad settings, or input rows that do not fit the declared inputs.
    SBMLExportError
        python-libsedml is missing, or it fails to build the document.
    """
    if method not in METHODS:
        raise InputDataError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not (np.isfinite(t_end) and t_end > 0):
        raise InputDataError(f"t_end must be a finite number > 0, got {t_end!r}")
    if int(n_points) != n_points or n_points < 2:
        raise InputDataError(f"n_points must be an integer >= 2, got {n_points!r}")
    states = crn.initial_state(input_values)
    libsedml, _ = _libraries()
    document = libsedml.SedDocument(SEDML_LEVEL, SEDML_VERSION)

    model = document.createModel()
    _check(model.setId("model"), "set the model id")
    _check(model.setLanguage(SBML_LANGUAGE), "set the model language")
    _check(model.setSource(model_source), "set the model source")

    simulation = document.createUniformTimeCourse()
    _check(simulation.setId("time_course"), "set the simulation id")
    simulation.setInitialTime(0.0)
    simulation.setOutputStartTime(0.0)
    simulation.setOutputEndTime(float(t_end))
    simulation.setNumberOfSteps(int(n_points) - 1)
    algorithm = simulation.createAlgorithm()
    if method == "ode":
        _check(algorithm.setKisaoID(KISAO_CVODE), "set the KiSAO id")
        parameters = [(KISAO_RELATIVE_TOLERANCE, rtol), (KISAO_ABSOLUTE_TOLERANCE, atol)]
    else:
        _check(algorithm.setKisaoID(KISAO_GILLESPIE_DIRECT), "set the KiSAO id")
        parameters = [] if seed is None else [(KISAO_SEED, int(seed))]
    for kisao, value in parameters:
        parameter = algorithm.createAlgorithmParameter()
        _check(parameter.setKisaoID(kisao), f"set algorithm parameter {kisao}")
        _check(parameter.setValue(repr(value)), f"set the value of {kisao}")

    task = document.createTask()
    _check(task.setId("run"), "set the task id")
    task.setModelReference("model")
    task.setSimulationReference("time_course")
    result_task = "run"

    if crn.inputs:
        repeated = document.createRepeatedTask()
        _check(repeated.setId("rows"), "set the repeated task id")
        repeated.setRangeId("row")
        repeated.setResetModel(True)
        master = repeated.createVectorRange()
        _check(master.setId("row"), "set the row range id")
        master.setValues([float(row) for row in range(states.shape[0])])
        for name in _input_species(crn):
            range_id = f"amount_{name}"
            vector = repeated.createVectorRange()
            _check(vector.setId(range_id), f"set range id {range_id}")
            vector.setValues(states[:, crn.species_index[name]].tolist())
            change = repeated.createTaskChange()
            change.setModelReference("model")
            _check(change.setTarget(_species_target(name)), f"set the target of {name}")
            change.setRange(range_id)
            _check(change.setMath(libsedml.parseL3Formula(range_id)), f"set the value of {name}")
        subtask = repeated.createSubTask()
        subtask.setTask("run")
        subtask.setOrder(1)
        result_task = "rows"

    time_generator = document.createDataGenerator()
    time_generator.setId("time")
    time_generator.setName("time")
    variable = time_generator.createVariable()
    variable.setId("t")
    variable.setSymbol("urn:sedml:symbol:time")
    variable.setTaskReference(result_task)
    _check(time_generator.setMath(libsedml.parseL3Formula("t")), "set the time data generator")

    report = document.createReport()
    report.setId("outputs")
    report.setName(f"nn2crn outputs at every time point, one block per input row ({method})")
    generators = [("time", "time")]
    for signal in crn.outputs:
        generator = document.createDataGenerator()
        generator_id = f"output_{signal.name}"
        _check(generator.setId(generator_id), f"set data generator id {generator_id}")
        generator.setName(signal.name)
        variable_ids = {}
        for name, _ in (*signal.positive, *signal.negative):
            variable_ids[name] = f"{signal.name}__{name}"
            variable = generator.createVariable()
            variable.setId(variable_ids[name])
            variable.setTarget(_species_target(name))
            variable.setTaskReference(result_task)
            variable.setModelReference("model")
        formula = _signal_formula(signal, variable_ids)
        _check(generator.setMath(libsedml.parseL3Formula(formula)), f"set the math of {generator_id}")
        generators.append((generator_id, signal.name))
    for generator_id, label in generators:
        data_set = report.createDataSet()
        data_set.setId(f"data_{generator_id}")
        data_set.setLabel(label)
        data_set.setDataReference(generator_id)

    errors = [
        document.getError(index)
        for index in range(document.getNumErrors())
        if document.getError(index).getSeverity() >= libsedml.LIBSEDML_SEV_ERROR
    ]
    if errors:
        raise SBMLExportError(
            f"libsedml reports an invalid SED-ML document: {errors[0].getMessage().strip()}"
        )
    return libsedml.writeSedMLToString(document)


def write_omex(
    crn: CRN,
    path: str | os.PathLike[str],
    input_values: object = None,
    *,
    t_end: float,
    n_points: int = 101,
    method: str = "ode",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    seed: int | None = None,
    model_id: str = "nn2crn_model",
    source_name: str | None = None,
    check: bool = False,
) -> None:
    """Write a COMBINE archive that runs `crn` for every row of `input_values`.

    Parameters
    ----------
    crn : CRN
    path : path-like
        The ``.omex`` file, written atomically (a temporary file, then a rename).
    input_values, t_end, n_points, method, rtol, atol, seed
        As for :func:`to_sedml`.
    model_id : str
        The SBML model id.
    source_name : str, optional
        The source model named in the archive's metadata (e.g. the ``.crn`` path).
    check : bool, default False
        Run libSBML's consistency check on the SBML model (see :func:`nn2crn.crn.sbml.to_sbml`).

    Raises
    ------
    InputDataError, SBMLExportError
        As for :func:`to_sedml` and :func:`nn2crn.crn.sbml.to_sbml`, or the archive
        cannot be written.

    Examples
    --------
    >>> write_omex(crn, "run.omex", x, t_end=200.0)  # doctest: +SKIP
    """
    from .. import __version__

    sedml = to_sedml(
        crn, input_values, t_end=t_end, n_points=n_points, method=method, rtol=rtol, atol=atol, seed=seed
    )
    sbml = to_sbml(crn, model_id=model_id, version=2, check=check)
    _, libcombine = _libraries()
    archive = libcombine.CombineArchive()
    formats = libcombine.KnownFormats
    if not archive.addFileFromString(sbml, MODEL_LOCATION, formats.lookupFormat("sbml"), False):
        raise SBMLExportError("libcombine failed to add the SBML model to the archive")
    if not archive.addFileFromString(sedml, SEDML_LOCATION, formats.lookupFormat("sedml"), True):
        raise SBMLExportError("libcombine failed to add the SED-ML document to the archive")

    description = libcombine.OmexDescription()
    description.setAbout(".")
    n_rows = crn.initial_state(input_values).shape[0]
    description.setDescription(
        f"Generated by nn2crn {__version__} from {source_name or 'a CRN'}: {crn.n_species} species, "
        f"{crn.n_reactions} mass-action reactions, {n_rows} input rows, {method.upper()} time course to "
        f"t = {t_end!r}. Outputs are dual-rail differences of species amounts."
    )
    creator = libcombine.VCard()
    creator.setFamilyName("nn2crn")
    creator.setGivenName(__version__)
    creator.setOrganization("nn2crn (https://pypi.org/project/nn2crn)")
    description.addCreator(creator)
    now = libcombine.OmexDescription.getCurrentDateAndTime()
    description.setCreated(now)
    description.getModified().append(now)
    archive.addMetadata(".", description)

    from .._writing import write_via_path

    if Path(path).is_dir():
        raise InputDataError(f"{path}: not a regular file (a folder); give a file name for the archive")

    def write_archive(work: Path) -> None:
        if not archive.writeToFile(str(work)):
            raise SBMLExportError(f"{path}: libcombine could not write the archive")

    try:
        write_via_path(path, write_archive)
    finally:
        archive.cleanUp()


__all__ = ["KISAO_CVODE", "KISAO_GILLESPIE_DIRECT", "to_sedml", "write_omex"]
