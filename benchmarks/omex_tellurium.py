"""Agreement and speed of a COMBINE archive run by tellurium against ``nn2crn simulate``.

For the shipped IRIS 4-3-3 and virus 10-8-4 ternary models: compile, write an
OMEX archive over the test rows (``nn2crn export --to omex``), run it with
tellurium's SED-ML executor (libroadrunner, CVODE), and compare every output at
t_end with nn2crn's own ODE (``simulate_ode``) at the same tolerances. Prints the
largest absolute and relative difference and where it occurs, then times both
side by side, in-process and as fresh CLI processes (anchor: tellurium).

Run: ``python benchmarks/omex_tellurium.py [--t-end 200] [--rtol 1e-10 --atol 1e-12]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _timing import machine_line, time_side_by_side

MODELS = {"iris": "iris-4-3-3-ternary", "virus": "virus-10-8-4-ternary"}


def run_archive(path: Path) -> dict[str, np.ndarray]:
    from tellurium.sedml.tesedml import executeCombineArchive

    (result,) = executeCombineArchive(str(path), createOutputs=False).values()
    return {key: np.asarray(value) for key, value in result["dataGenerators"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--t-end", type=float, default=200.0)
    parser.add_argument("--points", type=int, default=21)
    parser.add_argument("--rtol", type=float, default=1e-10)
    parser.add_argument("--atol", type=float, default=1e-12)
    parser.add_argument("--models", default="iris,virus", help="comma-separated: iris, virus")
    parser.add_argument("--no-timing", action="store_true", help="agreement only")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--timing-rows", type=int, default=20, help="rows of the timing runs (tellurium is slow)"
    )
    args = parser.parse_args()

    from nn2crn.compile import compile_network
    from nn2crn.crn import write_crn
    from nn2crn.crn.omex import write_omex
    from nn2crn.datasets import load_dataset
    from nn2crn.nn import load_network
    from nn2crn.nn.shipped import shipped_model_path
    from nn2crn.simulate.ode import simulate_ode

    folder = Path(tempfile.mkdtemp(prefix="nn2crn-omex-"))
    print(machine_line())
    for dataset in args.models.split(","):
        model = MODELS[dataset]
        network = load_network(str(shipped_model_path(model)))
        crn = compile_network(network)
        x = network.transform(load_dataset(dataset).test.x)
        archive = folder / f"{dataset}.omex"
        settings = dict(t_end=args.t_end, n_points=args.points, rtol=args.rtol, atol=args.atol)
        write_omex(crn, archive, x, **settings, source_name=model)

        def nn2crn_outputs(crn=crn, x=x, settings=settings) -> np.ndarray:
            trajectory = simulate_ode(crn, x, **settings)
            return trajectory.final_outputs

        expected = nn2crn_outputs()
        generators = run_archive(archive)
        got = np.stack([generators[f"output_{name}"][-1] for name in crn.output_names], axis=1)
        difference = np.abs(got - expected)
        relative = difference / np.maximum(np.abs(expected), 1e-12)
        row, column = np.unravel_index(np.argmax(difference), difference.shape)
        rrow, rcolumn = np.unravel_index(np.argmax(relative), relative.shape)
        print(
            f"{model}: {x.shape[0]} rows x {crn.n_outputs} outputs at t = {args.t_end:g} "
            f"(rtol {args.rtol:g}, atol {args.atol:g}): max abs diff {difference.max():.3g} at row {row} "
            f"output {crn.output_names[column]} (value {expected[row, column]:.6g}); max rel diff "
            f"{relative.max():.3g} at row {rrow} output {crn.output_names[rcolumn]} "
            f"(value {expected[rrow, rcolumn]:.6g}); argmax agrees on "
            f"{int((got.argmax(1) == expected.argmax(1)).sum())}/{x.shape[0]} rows"
        )

        if args.no_timing:
            continue
        # Time on the first rows only: tellurium takes about a second of CPU per row.
        x = x[: args.timing_rows]
        archive = folder / f"{dataset}-timing.omex"
        write_omex(crn, archive, x, **settings, source_name=model)
        print(f"  timing on the first {x.shape[0]} rows:")
        times = time_side_by_side(
            {
                "tellurium": lambda archive=archive: run_archive(archive),
                "nn2crn": lambda crn=crn, x=x, settings=settings: simulate_ode(crn, x, **settings),
            },
            repeats=args.repeats,
            warmup=0,
        )
        print(
            f"  in-process: tellurium {times['tellurium']:.3f} s, nn2crn simulate_ode {times['nn2crn']:.3f} s, "
            f"ratio tellurium/nn2crn {times['tellurium'] / times['nn2crn']:.1f}x"
        )

        crn_path = folder / f"{dataset}.crn"
        write_crn(crn, crn_path)
        inputs = folder / f"{dataset}-x.csv"
        header = ",".join(crn.input_names)
        inputs.write_text(header + "\n" + "\n".join(",".join(map(repr, map(float, r))) for r in x) + "\n")
        tellurium_command = [
            sys.executable,
            "-c",
            "import sys; from tellurium.sedml.tesedml import executeCombineArchive; "
            "executeCombineArchive(sys.argv[1], createOutputs=False)",
            str(archive),
        ]
        nn2crn_command = [
            sys.executable,
            "-m",
            "nn2crn.cli",
            "simulate",
            str(crn_path),
            "--inputs",
            str(inputs),
            "--t-end",
            str(args.t_end),
            "--points",
            str(args.points),
            "--rtol",
            str(args.rtol),
            "--atol",
            str(args.atol),
            "-q",
            "-o",
            str(folder / f"{dataset}-trajectory.csv"),
        ]
        cli_times = {}
        for name, command in (("tellurium", tellurium_command), ("nn2crn", nn2crn_command)):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            cli_times[name] = time.perf_counter() - start
        print(
            f"  fresh process: tellurium {cli_times['tellurium']:.2f} s, nn2crn simulate "
            f"{cli_times['nn2crn']:.2f} s, ratio {cli_times['tellurium'] / cli_times['nn2crn']:.1f}x"
        )


if __name__ == "__main__":
    main()
