"""Start-up time of the command line: `mteval --help`, `import mteval` and `mteval score --help` against a bare
`python -c pass` (the interpreter's own start), each a fresh subprocess, alternating, `--repeat` times.

    nice -n -5 .venv/bin/python benchmarks/bench_startup.py [--repeat 15]

Target: well under 0.3 s for `mteval --help`; `import mteval` must not import torch or transformers (checked).
Wall and CPU seconds (user+sys of the child) are printed as median (min–max).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import Sample, load_report, spread, timed, try_renice

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import mteval": [sys.executable, "-c", "import mteval"],
    "mteval --help": [sys.executable, "-m", "mteval", "--help"],
    "mteval score --help": [sys.executable, "-m", "mteval", "score", "--help"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    print(try_renice(), flush=True)
    probe = "import sys, mteval.cli; print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    heavy = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    print(f"torch/transformers imported by `import mteval.cli`: {heavy}")
    runs: dict[str, list[Sample]] = {name: [] for name in COMMANDS}
    with load_report("start-up", cores=1):
        for _ in range(args.repeat):
            for name, cmd in COMMANDS.items():
                runs[name].append(timed(lambda cmd=cmd: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL))[1])
    base = runs["python -c pass"]
    for name, samples in runs.items():
        extra = [s.wall - b.wall for s, b in zip(samples, base, strict=True)]
        print(f"{name:22s} wall {spread([s.wall for s in samples], 3)} s  cpu {spread([s.cpu for s in samples], 3)} s"
              f"  over the bare interpreter: {spread(extra, 3)} s")


if __name__ == "__main__":
    main()
