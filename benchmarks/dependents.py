"""What the pre-commit hook costs when one shared library changes in a big
repository (issue 19 part 2): ``cruxmap check maps/common/lib.crux`` in a
project of N maps, of which K import the library (a third directly, the
rest through them), the others importing each other in pairs.

    python benchmarks/dependents.py                 # N = 1000, K = 10
    python benchmarks/dependents.py --maps 5000 --dependents 50

Prints the time to build the reverse-import index (in process), and the
wall time of the hook's command (a fresh interpreter, as pre-commit runs
it) with and without ``--no-dependents``, and of ``cruxmap check .``: the
hook re-checks the library's dependents only, not the repository.

On the development machine (2 shared cores, under load):

    maps   dependents   index     check lib.crux   --no-dependents   check .
    1,000  10           76 ms     0.51 s           0.36 s            1.86 s
    5,000  50           0.97 s    1.03 s           0.67 s            8.39 s
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIB = 'claim not_scheming: "The model is not scheming"\n    source: "s"\n    assume: great\n'


def make(root: Path, n: int, k: int) -> Path:
    (root / ".git").mkdir()
    maps = root / "maps"
    (maps / "common").mkdir(parents=True)
    (maps / "common" / "lib.crux").write_text(LIB, encoding="utf-8")
    direct = max(1, k // 3)
    for i in range(n):
        if i < direct:
            head = 'import "common/lib.crux"\n'
        elif i < k:
            head = f'import "m{i % direct:05d}.crux"\n'
        elif i % 2:
            head = f'import "m{i - 1:05d}.crux"\n'
        else:
            head = ""
        premise = "not_scheming" if i < direct else f"c{i}x"
        body = (
            f'claim c{i}: "claim {i}"\n    source: "s"\n'
            f'claim c{i}x: "support {i}"\n    source: "s"\n    assume: great\n'
            f'c{i} reduces to {premise} >= good\n    because: "b"\n'
            f"goal c{i} >= good\n"
        )
        (maps / f"m{i:05d}.crux").write_text(head + body, encoding="utf-8")
    return maps / "common" / "lib.crux"


def timed(cwd: Path, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cruxmap", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip
    return time.perf_counter() - start, proc.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maps", type=int, default=1000)
    ap.add_argument("--dependents", type=int, default=10)
    args = ap.parse_args()
    from cruxmap.core.dependents import build_index

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make(root, args.maps, args.dependents)
        start = time.perf_counter()
        index = build_index(root)
        took = time.perf_counter() - start
        print(f"{args.maps} maps, {args.dependents} import the library")
        print(f"reverse-import index of {len(index.imports)} files: {took * 1000:.0f} ms")
        for label, argv in (
            ("check maps/common/lib.crux", ["check", "maps/common/lib.crux"]),
            ("  --no-dependents", ["check", "--no-dependents", "maps/common/lib.crux"]),
            ("check .", ["check", "."]),
        ):
            wall, last = timed(root, *argv)
            print(f"{label:<30} {wall:6.2f} s   {last}")


if __name__ == "__main__":
    main()
