"""DNA verification speed goal (issue 10): module verification cached by shape.

Compares, side by side (interleaved, median of 3), module verification of the
shipped IRIS compiled CRN (ssw2010) with the shape cache against the anchor:
the same checks with a fresh cache per module (every module enumerated, as a
per-reaction enumeration without shape caching would). Then the user's view:
``nn2crn dna verify --no-pairs --whole-limit 0`` in a fresh process.

Run: python benchmarks/bench_dna.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line, time_side_by_side  # noqa: E402
from nn2crn.compile import compile_network  # noqa: E402
from nn2crn.crn import write_crn  # noqa: E402
from nn2crn.dna import translate  # noqa: E402
from nn2crn.dna.verify import ShapeCache, check_shape, extract_shape, verify_system  # noqa: E402
from nn2crn.nn import load_shipped_model  # noqa: E402


def main() -> None:
    crn = compile_network(load_shipped_model("iris-4-8-3-binary"))
    system = translate(crn)

    def cached() -> None:
        assert verify_system(system, pairs=False, whole_limit=0).ok

    def uncached() -> None:
        for module in system.modules:
            shape, _, _ = extract_shape(system, (module.index,))
            assert check_shape(shape, ShapeCache(), "module")[0].verdict.ok

    times = time_side_by_side({"shape cache": cached, "no cache (anchor)": uncached}, repeats=3, warmup=1)
    for name, seconds in times.items():
        print(f"{name:>20}: {seconds:7.2f} s for {len(system.modules)} modules")
    print(f"speed-up of the shape cache: {times['no cache (anchor)'] / times['shape cache']:.1f}x")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "iris.crn"
        write_crn(crn, path)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nn2crn.cli",
                "dna",
                "verify",
                str(path),
                "--no-pairs",
                "--whole-limit",
                "0",
                "-q",
            ],
            check=True,
            capture_output=True,
        )
        print(f"CLI (fresh process) nn2crn dna verify --no-pairs: {time.perf_counter() - start:.2f} s")
    print(machine_line())


if __name__ == "__main__":
    main()
