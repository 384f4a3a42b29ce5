"""Wall time and peak memory of ``cruxmap check --format json`` on synthetic maps.

    python benchmarks/run.py            # 50, 100, 1,000 and 10,000 claims
    python benchmarks/run.py 2000 5000  # other sizes

Each size runs in a fresh interpreter (start-up included, as a user or a
pre-commit hook sees it), three times; the best wall time is reported, with
the peak resident memory of that run. Cut sets to order 2, as in the budget.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

SIZES = [50, 100, 1_000, 10_000]
RUNS = 3


def measure(path: Path) -> tuple[float, float, int]:
    """Best wall seconds, its peak RSS in MB, and the exit status."""
    best = (float("inf"), 0.0, 0)
    cmd = [
        sys.executable,
        "-m",
        "cruxmap",
        "check",
        "--format",
        "json",
        "--max-order",
        "2",
        str(path),
    ]
    for _ in range(RUNS):
        pid = os.fork()
        if pid == 0:  # child: run the command so that its rusage is its own
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
            os.execv(cmd[0], cmd)
        start = time.perf_counter()
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        if wall < best[0]:
            best = (wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))
    return best


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or SIZES
    print(f"{'claims':>8} {'lines':>8} {'wall s':>8} {'peak MB':>8} {'exit':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"map{n}.crux"
            text = generate(n)
            path.write_text(text)
            wall, mem, code = measure(path)
            print(f"{n:>8} {text.count(chr(10)):>8} {wall:>8.3f} {mem:>8.1f} {code:>5}")


if __name__ == "__main__":
    main()
