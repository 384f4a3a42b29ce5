"""Wall time, CPU time and peak memory of ``cruxmap check --format json
--max-order 2`` on every benchmark shape (benchmarks/generate.py).

    python benchmarks/run.py                      # every shape at 1k, 2k, 10k
    python benchmarks/run.py --sizes 1000 5000    # other sizes
    python benchmarks/run.py --shapes wide ring   # some shapes
    python benchmarks/run.py --runs 3             # best of 3 (default 1)

Each run is a fresh interpreter (start-up included, as a user or a
pre-commit hook sees it). The table gives, per shape and size, the best wall
time, the CPU time (user + system) and peak RSS of that run, and the growth
of wall time from the smallest size to the largest. CPU time is the figure to
trust on a shared machine; wall time is what the targets are stated in.
The ``library`` shape is a directory: one import of half the claims and
ten roots that add to it (``generate.library``). Extra rows: a
100,000-deep chain, the issue 14 #1 ring (800 claims), and the issue 14 #2
reproducers with their ``pyproject.toml`` settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import SHAPES, generate, library

SIZES = [1_000, 2_000, 10_000]
TABLE_SHAPES = ["tree", "wide", "hub", "diamonds", "goals200", "chain", "cycles", "ring", "library"]


def _cycle4() -> str:
    """Issue 14 #2: four bare claims in a cycle, with a way in and a goal."""
    names = ["a", "b", "c", "d"]
    text = "".join(f'claim {n}: "{n}"\n' for n in [*names, "leaf"])
    for x, y in zip(names, names[1:] + names[:1], strict=True):
        text += f"{x} reduces to {y}\n"
    return text + "d reduces to leaf\ngoal a >= good\n"


def measure(path: Path, runs: int, order: bool = True) -> tuple[float, float, float, int]:
    """Best wall seconds, and that run's CPU seconds, peak RSS (MB), exit
    status. ``order``: pass ``--max-order 2`` (else the config decides)."""
    best = (float("inf"), 0.0, 0.0, 0)
    cmd = [sys.executable, "-m", "cruxmap", "check", "--format", "json"]
    if order:
        cmd += ["--max-order", "2"]
    cmd.append(path.name)
    for _ in range(runs):
        pid = os.fork()
        if pid == 0:  # child: run the command so that its rusage is its own
            try:
                os.chdir(path.parent)
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                os.execv(cmd[0], cmd)
            finally:
                os._exit(127)
        start = time.perf_counter()
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        if wall < best[0]:
            cpu = usage.ru_utime + usage.ru_stime
            best = (wall, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))
    return best


def _write(tmp: Path, name: str, text: str, config: str = "") -> Path:
    """The map as ``map.crux`` in its own project; a map over the 4 MiB file
    limit is split into parts that ``map.crux`` imports."""
    d = tmp / name
    d.mkdir()
    (d / "pyproject.toml").write_text("[tool.cruxmap]\n" + config)
    path = d / "map.crux"
    if len(text) < 3_000_000:
        path.write_text(text)
        return path
    blocks = text.split("\n\n")
    parts: list[list[str]] = [[]]
    size = 0
    for b in blocks:
        if size > 2_000_000:
            parts.append([])
            size = 0
        parts[-1].append(b)
        size += len(b) + 2
    for i, part in enumerate(parts):
        (d / f"part{i}.crux").write_text("\n\n".join(part) + "\n")
    path.write_text("".join(f'import "part{i}.crux"\n' for i in range(len(parts))))
    return path


def _project(tmp: Path, name: str, files: dict[str, str]) -> Path:
    """A project of several files, checked as a directory."""
    d = tmp / name
    d.mkdir()
    (d / "pyproject.toml").write_text("[tool.cruxmap]\n")
    for file, text in files.items():
        (d / file).write_text(text)
    return d


def machine_speed() -> float:
    """CPU seconds of a fixed 10-million-step Python loop: printed with the
    table, since a shared machine's speed drifts (on the development machine
    from 1.2 to 1.8 s within minutes) and every figure drifts with it."""
    start = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    ap.add_argument(
        "--shapes", nargs="+", default=TABLE_SHAPES, choices=[*sorted(SHAPES), "library"]
    )
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-extra", action="store_true", help="skip the extra rows")
    args = ap.parse_args()
    sizes = sorted(args.sizes)
    head = f"{'shape':<10}" + "".join(f"{n:>22,}" for n in sizes) + f"{'growth':>8}"
    print(
        f"cruxmap check --format json --max-order 2; wall s / CPU s / peak MB (best of {args.runs})"
    )
    print(f"machine speed: a 10-million-step Python loop took {machine_speed():.2f} s CPU")
    print(head)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for shape in args.shapes:
            cells = []
            walls = []
            for n in sizes:
                if shape == "library":  # a directory: ten roots over one import
                    path = _project(tmp, f"{shape}{n}", library(n, 0))
                else:
                    path = _write(tmp, f"{shape}{n}", generate(n, 0, shape))
                wall, cpu, mb, code = measure(path, args.runs)
                flag = "" if code in (0, 1) else f" exit {code}"
                cells.append(f"{wall:>7.2f} {cpu:>6.2f} {mb:>6.0f}{flag}")
                walls.append(wall)
            growth = walls[-1] / walls[0] if walls[0] else float("nan")
            print(f"{shape:<10}" + "".join(f"{c:>22}" for c in cells) + f"{growth:>7.1f}x")
        if args.no_extra:
            print(f"machine speed after: {machine_speed():.2f} s CPU")
            return
        print()
        print(f"{'extra':<40}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'exit':>6}")
        extra = [
            ("chain, 100,000 deep (7 files)", generate(100_000, 0, "chain"), ""),
            ("ring, 800 (issue 14 #1)", generate(800, 0, "ring"), ""),
            ("4-cycle, max-order 1e12 (14 #2)", _cycle4(), "max-order = 1000000000000\n"),
            ("12 OR pairs, max-order 64 (14 #2)", generate(37, 0, "orwide"), "max-order = 64\n"),
            (
                "10 routes x 10, max-order 10, depth 4",
                _alternatives(10, 10),
                "max-order = 10\ndepth = 4\n",
            ),
        ]
        for i, (label, text, config) in enumerate(extra):
            path = _write(tmp, f"extra{i}", text, config)
            # (--max-order 2 on the command line would override the config)
            wall, cpu, mb, code = measure(path, args.runs, order=not config)
            print(f"{label:<40}{wall:>8.2f}{cpu:>8.2f}{mb:>9.0f}{code:>6}")
    print(f"machine speed after: {machine_speed():.2f} s CPU")


def _alternatives(routes: int, premises: int) -> str:
    """A goal with ``routes`` alternative reductions of ``premises`` each."""
    out = ['claim g: "g"\n']
    for i in range(routes):
        out += [f'claim p{i}_{j}: "p"\n' for j in range(premises)]
        out.append(f"g reduces to {', '.join(f'p{i}_{j} >= good' for j in range(premises))}\n")
    return "".join(out) + "goal g >= good\n"


if __name__ == "__main__":
    main()
