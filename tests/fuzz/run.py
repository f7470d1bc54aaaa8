"""Long fuzzing runs with atheris, outside CI: ``python -m tests.fuzz.run crn --seconds 600``.

Targets: see :data:`tests.fuzz.targets.TARGETS`. The seed corpus is written to a
fresh temporary folder (never into the repository); atheris runs with a 5 s
per-case timeout and a 1 GB memory limit, and stops at the first finding, leaving
the crashing input in the current folder as ``crash-*`` (libFuzzer's convention).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    parser.add_argument("target")
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=1)
    options, extra = parser.parse_known_args(argv)

    import atheris

    with atheris.instrument_imports(include=["nn2crn"]):
        import nn2crn._csv_native  # noqa: F401  (the C scanner's Python side)
        import nn2crn.cli._inputs  # noqa: F401
        import nn2crn.crn  # noqa: F401
        import nn2crn.crn.text  # noqa: F401  (nn2crn.crn imports it on first use only)
        import nn2crn.datasets  # noqa: F401
        import nn2crn.dna  # noqa: F401
        import nn2crn.dna.writers  # noqa: F401
        import nn2crn.nn  # noqa: F401
        import nn2crn.nn.onnx_io  # noqa: F401
        import nn2crn.sweep  # noqa: F401

    from tests.fuzz.targets import PENDING, TARGETS, seeds

    if options.target in PENDING:
        parser.error(f"{options.target}: {PENDING[options.target]}")
    if options.target not in TARGETS:
        parser.error(f"unknown target {options.target!r}; choose one of {', '.join(TARGETS)}")
    target = TARGETS[options.target]
    corpus = Path(tempfile.mkdtemp(prefix=f"nn2crn-fuzz-{options.target}-"))
    for index, seed in enumerate(seeds(options.target)):
        (corpus / f"seed-{index}").write_bytes(seed)
    print(f"corpus: {corpus}", file=sys.stderr)
    arguments = [
        sys.argv[0],
        f"-max_total_time={options.seconds}",
        "-timeout=5",
        "-rss_limit_mb=1024",
        "-max_len=65536",
        "-print_final_stats=1",
        *extra,
        str(corpus),
    ]
    if options.target == "pil":
        import gc

        import peppercornenumerator.input  # noqa: F401  (it raises the recursion limit on import)

        # peppercorn's reader runs gc.collect() twice per call: freeze what is loaded now so that
        # those collections do not rescan it (about 4x more cases per second).
        gc.collect()
        gc.freeze()
    atheris.Setup(arguments, target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
