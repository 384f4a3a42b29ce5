"""Sizes and shapes (issue 5): big or deep input works within budget or fails fast.

Each case runs cruxmap in a child process with a low recursion limit (200
frames: any recursion that grows with the depth of a map or of its imports
fails at once) and reports its wall time and peak memory. The SPEC budget is
10,000 claims in under 5 s and 500 MB; bigger shapes get budgets in
proportion. Cases marked ``slow`` take tens of seconds (``-m 'not slow'`` skips them); the others
keep this file to well under a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import single_map

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="measures with POSIX tools")
SLOW = pytest.mark.slow
RECURSION_LIMIT = 200

# Runs cruxmap in-process in the child, then prints its own measurements.
DRIVER = """
import json, resource, sys, time
sys.setrecursionlimit(int(sys.argv[1]))
from cruxmap.commands import main
start = time.perf_counter()
code = main(sys.argv[2:])
sys.stdout.flush()
try:  # this process's own peak (ru_maxrss may carry the parent's over exec)
    with open("/proc/self/status") as f:
        peak = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "seconds": time.perf_counter() - start, "mb": peak}),
      file=sys.stderr)
"""


@dataclass
class Run:
    code: int
    seconds: float
    mb: float
    stdout: str
    stderr: str


def run(cwd: Path, *args: str, timeout: float = 300) -> Run:
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(RECURSION_LIMIT), *args],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err, err[-3000:]
    *rest, last = err.rstrip("\n").split("\n")
    m = json.loads(last)
    return Run(m["code"], m["seconds"], m["mb"], proc.stdout.decode("utf-8"), "\n".join(rest))


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'sizes'\n")
    return tmp_path


def chain(n: int, verbose: bool = True) -> str:
    """c0 <- c1 <- ... <- c(n-1): a reduction chain n claims deep."""
    out: list[str] = []
    for i in range(n):
        out.append(f'claim c{i}: "claim {i}"\n' if verbose else f'claim c{i}: ""\n')
        if verbose:
            out.append(f'    source: "ref {i}"\n')
    for i in range(n - 1):
        out.append(f"c{i} reduces to c{i + 1} >= good\n")
        if verbose:
            out.append('    because: "b"\n')
    out.append("goal c0 >= good\n")
    return "".join(out)


def wide(n: int) -> str:
    """One claim concluded from n premises by a single reduction."""
    claims = "".join(f'claim p{i}: "p"\n' for i in range(n))
    prem = ", ".join(f"p{i} >= good" for i in range(n))
    return f'claim g: "g"\n{claims}g reduces to {prem}\ngoal g >= good\n'


def report(r: Run) -> dict:
    assert r.code in (0, 1), r.stderr[-2000:]
    return single_map(json.loads(r.stdout))


# --------------------------------------------------------------------------- depth


def test_chain_of_10000_within_the_spec_budget(proj: Path) -> None:
    (proj / "chain.crux").write_text(chain(10_000))
    r = run(proj, "check", "--format", "json", "chain.crux")
    rep = report(r)
    assert rep["analysed"] and len(rep["claims"]) == 10_000
    assert rep["goals"]["c0"]["status"] == "holds"
    assert r.mb < 500, r.mb


@pytest.mark.parametrize(
    "args",
    [("render", "--format", "dot", "-o", "out.dot"), ("fmt",), ("check", "--format", "sarif")],
)
def test_chain_of_10000_through_the_other_commands(proj: Path, args: tuple[str, ...]) -> None:
    (proj / "chain.crux").write_text(chain(10_000))
    r = run(proj, *args, "chain.crux")
    assert r.code in (0, 1), r.stderr[-2000:]


@SLOW
def test_chain_100000_deep(proj: Path) -> None:
    """Ten times the SPEC's size: ten times its budget, no recursion. Split
    in two files, as one would be over the 4 MiB limit."""
    text = chain(100_000, verbose=False)
    cut = text.index("c50000 reduces")
    claims_end = text.index("c0 reduces")
    (proj / "chain.crux").write_text(
        'import "rest.crux"\n' + text[:claims_end] + text[claims_end:cut]
    )
    (proj / "rest.crux").write_text(text[cut:])
    r = run(proj, "check", "--format", "json", "chain.crux")
    rep = report(r)
    assert rep["goals"]["c0"]["status"] == "holds"
    assert rep["goals"]["c0"]["premises"]["c99999"]["margin"] == 3
    assert r.mb < 2500, r.mb  # measured ~1.7 GB: linear in size (the JSON alone is ~100 MB)
    r = run(proj, "fmt", "--check", "chain.crux")
    assert r.code in (0, 1), r.stderr[-2000:]


def test_import_chain_1000_files_deep(proj: Path) -> None:
    n = 1000
    for i in range(n):
        nxt = f'import "f{i + 1}.crux"\n' if i + 1 < n else ""
        premise = f"c{i} reduces to c{i + 1} >= good\n" if i + 1 < n else ""
        (proj / f"f{i}.crux").write_text(f'{nxt}claim c{i}: "c"\n{premise}')
    r = run(proj, "check", "--format", "json", "f0.crux")
    rep = report(r)
    assert len(rep["files"]) == n
    assert rep["goals"]["c0"]["status"] == "holds"


# --------------------------------------------------------------------------- width


def test_reduction_with_5000_premises(proj: Path) -> None:
    """The margin search was quadratic in a reduction's premises (5,000
    took 16 s, 50,000 nine minutes); now each premise costs a lookup."""
    (proj / "wide.crux").write_text(wide(5_000))
    r = run(proj, "check", "--format", "json", "wide.crux")
    rep = report(r)
    assert rep["goals"]["g"]["premises"]["p4999"]["margin"] == 3


@SLOW
def test_reduction_with_50000_premises(proj: Path) -> None:
    (proj / "wide.crux").write_text(wide(50_000))
    r = run(proj, "check", "--format", "json", "wide.crux")
    rep = report(r)
    assert len(rep["goals"]["g"]["premises"]) == 50_000
    assert r.mb < 1000, r.mb


# --------------------------------------------------------------------------- bytes


@pytest.mark.parametrize("command", ["check", "fmt", "render"])
def test_20_megabyte_file_fails_fast(proj: Path, command: str) -> None:
    """Over the 4 MiB limit: CX005 at once, nothing read, nothing written."""
    block = 'claim c: "a claim with some text"\n    source: "a source"\n'
    data = (block * (20 * 1024 * 1024 // len(block) + 1)).encode()
    path = proj / "big.crux"
    path.write_bytes(data)
    args = {"check": ("check",), "fmt": ("fmt",), "render": ("render", "--format", "dot")}
    r = run(proj, *args[command], "big.crux")
    assert r.code == 2
    assert "too large" in r.stdout + r.stderr
    assert r.mb < 150, r.mb
    assert path.read_bytes() == data
    assert not (proj / "big.dot").exists()


def test_one_megabyte_line_of_text(proj: Path) -> None:
    (proj / "line.crux").write_text('claim a: "' + "x" * 1_000_000 + '"\n')
    r = run(proj, "check", "--format", "json", "line.crux")
    rep = report(r)
    assert rep["claims"] == {"a": {"baseline": "perfect", "value": "perfect"}}


@pytest.mark.parametrize(
    "line",
    [
        "claim a: " + "x " * 500_000,  # a syntax error at column 10
        'claim a: "' + "x" * 1_000_000,  # an unterminated string
        "x" * 999_990 + ": ;",  # an error at the far end
    ],
)
def test_one_megabyte_line_with_an_error(proj: Path, line: str) -> None:
    """The error is reported quickly, and the excerpt is cut to fit a terminal."""
    (proj / "line.crux").write_text(line + "\n")
    r = run(proj, "check", "line.crux")
    assert r.code == 2
    assert "CX001" in r.stdout
    assert max(len(x) for x in r.stdout.splitlines()) < 500


@SLOW
def test_one_megabyte_line_of_dense_tokens(proj: Path) -> None:
    """The densest input: 500,000 premises in one line (two bytes each)."""
    (proj / "dense.crux").write_text('claim a: "a"\na reduces to ' + ",".join("a" * 500_000) + "\n")
    r = run(proj, "check", "dense.crux")
    assert r.code in (0, 1)
    assert r.mb < 1000, r.mb


def test_syntax_errors_at_the_end_of_a_big_file(proj: Path) -> None:
    """Error recovery re-parses the file; its total work is bounded, so that
    errors at the end of a big file cost a few parses, not twenty."""
    body = "".join(f'claim c{i}: "text"\n' for i in range(20_000))
    (proj / "ok.crux").write_text(body)
    (proj / "bad.crux").write_text(body + "".join(f'claim bad{i} "x"\n' for i in range(25)))
    ok = run(proj, "check", "--select", "CX001", "ok.crux")
    bad = run(proj, "check", "--select", "CX001", "bad.crux")
    assert ok.code == 0
    assert bad.code == 2 and "CX001" in bad.stdout
    # How long it takes is a benchmark's business (no wall-clock asserts here).


# --------------------------------------------------------------------------- files


def test_1000_files_in_a_directory(proj: Path) -> None:
    d = proj / "maps"
    d.mkdir()
    for i in range(1000):
        (d / f"m{i:04d}.crux").write_text(
            f'claim a{i}: "a"\nclaim b{i}: "b"\na{i} reduces to b{i}\n'
        )
    r = run(proj, "check", "--format", "json", "maps")
    assert r.code == 1
    assert len(json.loads(r.stdout)["maps"]) == 1000


@SLOW
def test_10000_files_in_a_directory(proj: Path) -> None:
    """Suppression tables and the document index were rebuilt for every
    map: 10,000 files took 219 s; now about 6 s."""
    d = proj / "maps"
    d.mkdir()
    for i in range(10_000):
        (d / f"m{i:05d}.crux").write_text(
            f'claim a{i}: "a"\nclaim b{i}: "b"\na{i} reduces to b{i}\n'
        )
    r = run(proj, "check", "--no-summary", "maps")
    assert r.code == 1
    assert r.stdout.count("CX101") == 10_000
    assert r.mb < 500, r.mb


def test_import_cycles_load_each_file_once(proj: Path) -> None:
    (proj / "self.crux").write_text('import "self.crux"\nimport "./self.crux"\nclaim s: "s"\n')
    (proj / "a.crux").write_text('import "b.crux"\nclaim a: "a"\na reduces to b\n')
    (proj / "b.crux").write_text('import "a.crux"\nclaim b: "b"\n')
    r = run(proj, "check", "--format", "json", "self.crux")
    assert report(r)["files"] == ["self.crux"]
    # (b.crux imports a.crux, so it is checked too unless asked not to.)
    r = run(proj, "check", "--format", "json", "--no-dependents", "a.crux")
    assert report(r)["files"] == ["a.crux", "b.crux"]


def test_ring_of_100_files_each_a_map(proj: Path) -> None:
    """Each file of an import ring is the root of a map holding the whole
    ring, so the work grows with the square of the ring (100: ~2 s)."""
    d = proj / "ring"
    d.mkdir()
    n = 100
    for i in range(n):
        (d / f"r{i:03d}.crux").write_text(f'import "r{(i + 1) % n:03d}.crux"\nclaim k{i}: "k"\n')
    r = run(proj, "check", "--format", "json", "ring")
    maps = json.loads(r.stdout)["maps"]
    assert len(maps) == n and all(len(m["files"]) == n for m in maps)


def test_diamond_of_1000_imports(proj: Path) -> None:
    """top imports 1,000 files that all import bottom: bottom loads once."""
    n = 1000
    (proj / "top.crux").write_text(
        "".join(f'import "mid{i}.crux"\n' for i in range(n)) + 'claim top: "t"\n'
    )
    for i in range(n):
        (proj / f"mid{i}.crux").write_text(
            f'import "bottom.crux"\nclaim m{i}: "m"\nm{i} reduces to b\n'
        )
    (proj / "bottom.crux").write_text('claim b: "b"\n')
    r = run(proj, "check", "--format", "json", "top.crux")
    rep = report(r)
    assert len(rep["files"]) == n + 2
    assert rep["files"].count("bottom.crux") == 1
    assert len(rep["goals"]) == n


# --------------------------------------------------------------------------- analysis


def alternatives(routes: int, premises: int) -> str:
    """A goal with ``routes`` alternative reductions of ``premises`` each:
    its cut sets take one premise from every route (premises**routes)."""
    out = ['claim g: "g"\n']
    for i in range(routes):
        out += [f'claim p{i}_{j}: "p"\n' for j in range(premises)]
        out.append(f"g reduces to {', '.join(f'p{i}_{j} >= good' for j in range(premises))}\n")
    return "".join(out) + "goal g >= good\n"


def test_cut_set_search_is_bounded(proj: Path) -> None:
    """`max-order` comes from pyproject.toml, which the repository controls:
    a large one on many routes built millions of sets (8x8 routes at order 8:
    73 s and 1.5 GB); the search now stops at a bound and says so."""
    (proj / "pyproject.toml").write_text("[tool.cruxmap]\nmax-order = 10\ndepth = 4\n")
    (proj / "ors.crux").write_text(alternatives(10, 10))
    r = run(proj, "check", "--format", "json", "ors.crux")
    goal = report(r)["goals"]["g"]
    assert goal["cut_sets_complete"] is False
    assert r.mb < 500, r.mb


@SLOW
def test_chain_of_10000_with_a_cycle_at_the_goal(proj: Path) -> None:
    """A cycle in a goal's support sends only the claims on it (and those
    post-dominated by the goal alone) to re-evaluation; the chain below keeps
    the fast path, so this stays inside the SPEC budget."""
    text = chain(10_000) + 'claim x: "x"\nc0 reduces to x >= good\nx reduces to c0 >= good\n'
    (proj / "cyc.crux").write_text(text)
    r = run(proj, "check", "--format", "json", "cyc.crux", timeout=600)
    assert report(r)["goals"]["c0"]["status"] == "holds"
