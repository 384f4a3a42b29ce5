"""Fuzzing cruxmap's commands with hostile input: engine and campaign script.

The engine runs ``cruxmap check``, ``render --format dot`` and ``fmt``
in-process on one input and checks the properties every run must have,
whatever the input:

* the exit status is 0, 1 or 2, and no exception escapes ``main`` (that would
  be a Python traceback for the user);
* the run ends within a time bound (a ``SIGALRM`` timer interrupts it);
* stdout and stderr are valid UTF-8; text and GitHub output carry no control
  character but the newline (user text cannot drive the terminal);
* JSON and SARIF output parse, and ``check`` exits 2 exactly when the input
  could not be read or parsed (CX001, CX005);
* ``render --format dot`` that succeeds prints a graph;
* ``fmt`` never leaves a partial file: on failure the input is untouched; on
  success the result is stable (``fmt --check`` passes) and means the same
  (the JSON report's scale, claims, goals and objections are unchanged).

Inputs are random bytes, random Unicode, soups of .crux tokens, and
mutations of valid files (``arguments/`` and ``tests/fuzz_corpus/seeds/``):
tokens and lines deleted, duplicated and swapped, truncation, spliced files,
flipped bytes, inserted hostile fragments. A share of them (``--shape-share``,
default 0.15) are the shapes of issue 14 (:data:`SHAPES`): hostile
``[tool.cruxmap]`` values and ``pyproject.toml`` files, many roots sharing
one import, Unicode identifiers (lookalikes, invisible characters,
normalisation variants) and reduction rings; and of issue 25: hostile git
trees for ``diff --against`` and ``check --new-only`` (symlinks beside
directories of the same name, case and normalisation twins, NUL and newline
link targets, huge blobs), where nothing may be written outside the
snapshot and no snapshot may be left behind; scripted sessions with
``cruxmap lsp`` in a subprocess on import-heavy hostile workspaces
(``lsp-session``: every request answered in time without a traceback,
nothing written, nothing of ``.env`` or outside the workspace shown);
and issue 19's library roots
(``tests/libroots.py``: roots adding routes, goals and objections into a
big library, scenarios touching it), checked together and each alone, whose
reports must agree map by map.

A campaign also checks that no output line starts with ``::`` unless it is
cruxmap's own GitHub annotation, and counts any run over 10 s as a failure.

Run a campaign (workers each in their own scratch project)::

    .venv/bin/python tests/fuzz_campaign.py -n 100000 --workers 2

It prints the count, the failures and the time; each failing input is saved
under ``tests/fuzz_corpus/found/`` (move it to ``regressions/`` once fixed:
``test_fuzz.py`` replays every file under ``tests/fuzz_corpus/``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cruxmap.core.text import UNSAFE

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "fuzz_corpus"

#: Seconds one command may take on one input before it counts as a hang.
TIMEOUT_S = 20.0
#: A campaign also counts a run slower than this as a failure (issue 14:
#: "0 runs over 10 s"); the CI tests leave it unset, their machine is shared.
SLOW_S: float | None = None
SLOW_RUN_S = 10.0

CHECK_FORMATS = ("text", "json", "github", "sarif")
#: Characters that must never reach text or GitHub output raw.
#: (cruxmap.core.text's one set, less the newline that ends an output line).
RAW_CONTROL = re.compile("[" + "".join(re.escape(c) for c in sorted(UNSAFE - {"\n"})) + "]")
#: The only output lines that may start with ``::`` (a GitHub workflow
#: command): cruxmap's own annotations. User text never starts a line.
OWN_ANNOTATION = re.compile(r"::(error|warning|notice) file=[^\n]*,title=CX\d{3}::CX\d{3} ")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


# --------------------------------------------------------------------------- running


class Hang(Exception):
    """Raised by the alarm when one run exceeds its time bound."""


@dataclass
class Outcome:
    argv: list[str]
    status: int | None
    stdout: bytes
    stderr: bytes
    #: A traceback (uncaught exception) or "timeout"; None when main returned.
    crash: str | None = None
    seconds: float = 0.0

    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    # errors="strict": writing text that is not valid UTF-8 (a lone surrogate
    # from an undecodable file name) fails the run instead of passing unseen.
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict", newline="\n")


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv: list[str], stdin: bytes = b"", timeout: float = TIMEOUT_S) -> Outcome:
    """``cruxmap ARGV`` in-process, in the current directory, time-bounded."""
    from cruxmap.commands import main

    out, err, inp = _stream(), _stream(), _stream(stdin)
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, inp
    status: int | None = None
    crash: str | None = None
    start = time.monotonic()
    try:
        with _alarm(timeout):
            status = main(argv)
    except Hang:
        crash = "timeout"
    except SystemExit as exc:  # argparse: usage errors exit 2
        status = exc.code if isinstance(exc.code, int) else 2
    except BaseException:
        crash = traceback.format_exc()
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    for stream in (out, err):
        try:
            stream.flush()
        except (UnicodeError, ValueError):
            crash = crash or traceback.format_exc()
    stdout = out.buffer.getvalue()  # type: ignore[attr-defined]
    stderr = err.buffer.getvalue()  # type: ignore[attr-defined]
    return Outcome(argv, status, stdout, stderr, crash, time.monotonic() - start)


# --------------------------------------------------------------------------- properties


def problems(o: Outcome, kind: str) -> list[str]:
    """What is wrong with one outcome; ``kind`` is a check format, "dot" or "fmt"."""
    if o.crash is not None:
        return [f"{' '.join(o.argv)}: {o.crash}"]
    found: list[str] = []
    where = " ".join(o.argv)
    if o.status not in (0, 1, 2):
        found.append(f"{where}: exit status {o.status}")
    for name, data in (("stdout", o.stdout), ("stderr", o.stderr)):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            found.append(f"{where}: {name} is not UTF-8 ({exc})")
            continue
        if "Traceback (most recent call last)" in text:
            found.append(f"{where}: {name} shows a traceback")
        shown = text if (kind in ("text", "github", "dot") or name == "stderr") else ""
        m = RAW_CONTROL.search(shown)
        if m:
            found.append(f"{where}: raw control character {m.group(0)!r} in {name}")
        if o.argv[:2] == ["fmt", "-"] and name == "stdout":
            continue  # the formatted file itself, verbatim (documented)
        for line in _LINE_BREAK.split(text):
            if line.lstrip().startswith("::") and not OWN_ANNOTATION.match(line):
                found.append(f"{where}: {name} has a line starting '::' ({line[:60]!r})")
                break
    if SLOW_S is not None and o.seconds > SLOW_S:
        found.append(f"{where}: slow, {o.seconds:.1f} s")
    usage_error = o.status == 2 and not o.stdout and o.stderr.startswith(b"cruxmap: error: ")
    if kind in ("json", "sarif") and o.status in (0, 1, 2) and not usage_error:
        try:
            doc = json.loads(o.stdout)
        except ValueError as exc:
            return [*found, f"{where}: {kind} output does not parse ({exc})"]
        codes = _codes(doc, kind)
        unreadable = bool(codes & {"CX001", "CX005"})
        if unreadable != (o.status == 2):
            found.append(f"{where}: exit {o.status} with codes {sorted(codes)}")
    # A library (imported, no goals: docs/language.md) is not drawn on its
    # own: render says so on stderr and draws nothing.
    library = b": a library (imported, no goals of its own)" in o.stderr
    if kind == "dot" and o.status == 0 and not o.stdout.startswith(b"digraph") and not library:
        found.append(f"{where}: exit 0 without a graph on stdout")
    return found


def _codes(doc: object, kind: str) -> set[str]:
    if kind == "sarif":
        assert isinstance(doc, dict)
        return {r["ruleId"] for run in doc["runs"] for r in run["results"]}
    assert isinstance(doc, dict)
    return {d["code"] for d in doc["diagnostics"]}


def _meaning(path: str) -> dict[str, object] | None:
    """What a map says, layout aside, or None when it cannot be analysed."""
    o = run_cli(["check", "--format", "json", "--no-summary", "--no-dependents", path])
    if o.crash is not None or o.status not in (0, 1):
        return None
    maps = json.loads(o.stdout)["maps"]
    if len(maps) != 1:
        return None  # a library (imported by the companion, no goals): no map
    (doc,) = maps
    if not doc.get("analysed"):
        return None
    return {k: doc[k] for k in ("scale", "claims", "goals", "objections")}


def exercise(
    data: bytes,
    command: str,
    workdir: Path,
    name: str = "t.crux",
    companion: bytes | None = None,
    options: list[str] | None = None,
) -> list[str]:
    """Write ``data`` to ``workdir/name`` and run ``command`` on it there.

    ``command`` is a check format (text, json, github, sarif), "dot" (render
    to stdout), "fmt" (rewrite in place) or "fmt-" (standard input).
    ``companion`` is written to ``u.crux`` beside it (for imports);
    ``options`` are added to ``check`` (scenarios, depth, filters).
    """
    path = workdir / name
    path.write_bytes(data)
    other = workdir / "u.crux"
    if companion is not None:
        other.write_bytes(companion)
    elif other.exists():
        other.unlink()
    rel = name
    if command in CHECK_FORMATS:
        return problems(run_cli(["check", *(options or []), "--format", command, rel]), command)
    if command == "dot":
        return problems(run_cli(["render", "--format", "dot", "-o", "-", rel]), "dot")
    if command == "fmt-":
        o = run_cli(["fmt", "-"], stdin=data)
        found = problems(o, "fmt")
        if o.status == 0 and not found:
            again = run_cli(["fmt", "-"], stdin=o.stdout)
            if again.stdout != o.stdout:
                found.append("fmt -: formatting its own output changed it")
        return found
    assert command == "fmt", command
    before = _meaning(rel)
    o = run_cli(["fmt", rel])
    found = problems(o, "fmt")
    after_bytes = path.read_bytes()
    if o.status != 0 and after_bytes != data:
        found.append(f"fmt exit {o.status} but the file changed")
    if o.status == 0 and not found:
        again = run_cli(["fmt", "--check", rel])
        if again.status != 0 or again.crash:
            found.append(f"fmt is not idempotent: fmt --check exits {again.status} after fmt")
        if before is not None and after_bytes != data:
            after = _meaning(rel)
            if after != before:
                found.append("fmt changed the meaning (scale, claims, goals or objections)")
    return found


COMMANDS = (*CHECK_FORMATS, "dot", "fmt", "fmt-")


# --------------------------------------------------------------------------- inputs


def seed_files() -> list[Path]:
    """Valid maps to mutate: the repository's arguments and the fuzz seeds."""
    found = sorted((REPO / "arguments").glob("**/*.crux"))
    found += sorted((CORPUS / "seeds").glob("*.crux"))
    return found


def corpus_files() -> list[Path]:
    """Every input kept under tests/fuzz_corpus/ (seeds, hostile, regressions)."""
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix == ".crux" and "found" not in p.relative_to(CORPUS).parts
    )


TOKENS = (
    "scale", "import", "claim", "reduction", "reduces", "to", "and", "goal", "objection",
    ":", ">=", "<", ",", '"', '"""', "\\", "#", "\n", "\n    ", "\n\t", "\r\n", "\r", " ",
    "a", "b", "x-y", "_z", "none", "partial", "good", "great", "near_perfect", "perfect",
    "source", "assume", "tags", "note", "yields", "because", "against", "caps",
    '"text"', '"esc \\" \\\\ \\n"', '"""long\ntext"""', '"bad \\q"', "# cruxmap: ignore[CX101]",
    '"../outside.crux"', '"/etc/passwd"', "\x00", "\x1b[31m", "\u202e", "\ufeff", "é", "İ",
    "ǅ", "\u0301", "1", "9x", "a#1", "%", "::error::", "\u2028",
)  # fmt: skip

HOSTILE = (
    b'"', b'"""', b"\\", b">=", b"<", b":", b",", b"\n", b"\n    ", b"#", b"\r", b"\x00",
    b"\xff", b"\xc3", b"\t", b"\x1b[2J", b"\xef\xbb\xbf", b"reduces to", b"claim",
    b"goal", b"import", b"\xe2\x80\xae", b"\n\n\n", b" " * 50, b"a" * 300,
)  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random structural or byte-level change."""
    op = rng.randrange(13)
    if op >= 11:  # replace a word by another word of the file: cycles, clashes, odd levels
        words = re.findall(rb"[A-Za-z_][\w-]*", data)
        if words:
            old, new = rng.choice(words), rng.choice(words)
            pattern = re.escape(old) + rb"(?![\w-])"
            return re.sub(pattern, new, data, count=rng.choice((1, 1, 0)))
        return data
    if op <= 2:  # lines: delete, duplicate, swap
        lines = data.split(b"\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[j])
        else:
            lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    if op <= 5:  # tokens (space-separated): delete, duplicate, swap
        toks = re.split(rb"(\s+)", data)
        i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
        if op == 3:
            del toks[i]
        elif op == 4:
            toks.insert(i, toks[j])
        else:
            toks[i], toks[j] = toks[j], toks[i]
        return b"".join(toks)
    if op == 6:  # truncation
        return data[: rng.randrange(len(data) + 1)]
    if op == 7 and data:  # flip a byte
        buf = bytearray(data)
        buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    if op == 8:  # insert a hostile fragment
        i = rng.randrange(len(data) + 1)
        return data[:i] + rng.choice(HOSTILE) + data[i:]
    if op == 9:  # delete a span
        i = rng.randrange(len(data) + 1)
        return data[:i] + data[i + rng.randrange(1, 40) :]
    # duplicate a span elsewhere
    i = rng.randrange(len(data) + 1)
    span = data[i : i + rng.randrange(1, 200)]
    j = rng.randrange(len(data) + 1)
    return data[:j] + span + data[j:]


def random_options(rng: random.Random, data: bytes) -> list[str]:
    """Command-line options for ``check``: scenarios on the file's own words,
    depths, orders and filters, valid or not."""
    words = [w.decode("utf-8", "replace") for w in re.findall(rb"[A-Za-z_][\w-]*", data)] or ["a"]
    out: list[str] = []
    for _ in range(rng.randrange(1, 4)):
        pick = rng.randrange(6)
        if pick == 0:
            out += ["--set", f"{rng.choice(words)}={rng.choice(words)}"]
        elif pick == 1:
            out += ["--depth", str(rng.randint(1, 6))]
        elif pick == 2:
            out += ["--max-order", str(rng.randint(1, 6))]
        elif pick == 3:
            out += ["--fail-on", rng.choice(("error", "warning", "info"))]
        elif pick == 4:
            out += [rng.choice(("--select", "--ignore")), rng.choice(("CX1", "CX2", "CX101,CX0"))]
        else:
            out += ["--set", rng.choice(("=", "x=", "=y", "a=b=c", "\x1b=good"))]
    return out


def random_input(rng: random.Random, seeds: list[bytes]) -> tuple[str, bytes]:
    """(kind, bytes): mostly mutated seeds, some bytes, Unicode and token soup."""
    kind = rng.choices(("mutant", "splice", "bytes", "unicode", "tokens"), (70, 5, 8, 8, 9))[0]
    if kind == "mutant":
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 1, 2, 3, 5, 8))):
            data = mutate(data, rng)
        return kind, data
    if kind == "splice":
        a, b = rng.choice(seeds), rng.choice(seeds)
        return kind, a[: rng.randrange(len(a) + 1)] + b[rng.randrange(len(b) + 1) :]
    if kind == "bytes":
        return kind, rng.randbytes(rng.randrange(300))
    if kind == "unicode":
        chars = []
        for _ in range(rng.randrange(120)):
            r = rng.random()
            if r < 0.5:
                chars.append(chr(rng.randrange(0x20, 0x7F)))
            elif r < 0.7:
                chars.append(rng.choice('\n\t "#:<>=,\\'))
            elif r < 0.8:
                chars.append(chr(rng.randrange(0x20)))
            else:
                chars.append(chr(rng.randrange(0x110000)))
        return kind, "".join(chars).encode("utf-8", "surrogatepass")
    return kind, " ".join(rng.choice(TOKENS) for _ in range(rng.randrange(80))).encode(
        "utf-8", "surrogatepass"
    )


# --------------------------------------------------------------------------- shapes (issue 14)

#: Values for ``[tool.cruxmap]`` keys, from sane to hostile.
_NUMBERS = ("1", "2", "3", "4", "10", "64", "0", "-1", "1000", "1000000000000",
            "9223372036854775807", "1.5", "inf", "nan", "true", '"3"', "[]")  # fmt: skip
_STRINGS = ("error", "warning", "info", "text", "json", "github", "sarif", "",
            "x\n::error file=evil::PWNED", "::add-mask::x", "\u001b[2J", "é", "CX1",
            "CX101", "cx2", "CX", "CX999", "\u202e", "../..", "/etc", "a" * 5000)  # fmt: skip
_KEYS = ("depth", "max-order", "fail-on", "format", "select", "ignore", "paths",
         "unknown", "max_order", "Depth", "x\n::error::k")  # fmt: skip


def _toml_value(rng: random.Random, depth: int = 0) -> str:
    pick = rng.randrange(6)
    if pick == 0:
        return rng.choice(_NUMBERS)
    if pick == 1:
        return json.dumps(rng.choice(_STRINGS))
    if pick == 2 and depth < 2:  # a list, sometimes long
        n = rng.choice((0, 1, 2, 3, 50, 2000))
        return "[" + ", ".join(_toml_value(rng, depth + 1) for _ in range(n)) + "]"
    if pick == 3:  # nested arrays, sometimes deeper than the parser recurses
        k = rng.choice((2, 10, 100, 1000, 3000))
        return "[" * k + "]" * k
    if pick == 4:
        return "{ a = 1, b = " + json.dumps(rng.choice(_STRINGS)) + " }"
    return json.dumps(rng.choice(_STRINGS))


def hostile_config(rng: random.Random) -> bytes:
    """A ``pyproject.toml`` with hostile ``[tool.cruxmap]`` values (or a
    hostile file: not UTF-8, the table not a table, oversized)."""
    whole = rng.randrange(20)
    if whole == 0:
        return b"[tool.cruxmap]\nfail-on = '\xff\xfe'\n"
    if whole == 1:
        return rng.choice((b"tool = 5\n", b"[tool]\ncruxmap = 5\n", b"[tool.cruxmap\n"))
    if whole == 2:
        return b"[tool.cruxmap]\n# " + b"x" * (1024 * 1024 + 10) + b"\n"
    lines = ["[project]", "name = 'fuzz'", "[tool.cruxmap]"]
    for key in rng.sample(_KEYS, rng.randint(1, 4)):
        lines.append(f"{json.dumps(key)} = {_toml_value(rng)}")
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def chain(n: int, prefix: str = "c") -> str:
    lines = [f'claim {prefix}{i}: "claim {i}"' for i in range(n)]
    lines.append("    assume: good")
    lines += [f"{prefix}{i} reduces to {prefix}{i + 1}" for i in range(n - 1)]
    return "\n".join(lines) + f"\ngoal {prefix}0 >= good\n"


def shared_import(rng: random.Random, small: bool = False) -> dict[str, bytes]:
    """Many roots sharing one import (issue 14 #3), sometimes in a ring."""
    n = rng.choice((5, 30) if small else (5, 50, 300, 1000))
    files = {"big.crux": chain(n).encode()}
    k = rng.choice((2, 10) if small else (2, 10, 60, 200))
    for j in range(k):
        own = f'import "big.crux"\nclaim r{j}: "root {j}"\nr{j} reduces to c{rng.randrange(n)}\n'
        if rng.random() < 0.3:
            own += f"goal r{j} >= good\n"
        files[f"root{j}.crux"] = own.encode()
    if rng.random() < 0.2:  # the shared file imports a root back: an import ring
        files["big.crux"] = b'import "root0.crux"\n' + files["big.crux"]
    return files


#: Identifier pieces: scripts, lookalikes, combining marks, NFKC variants and
#: invisible or default-ignorable characters (issue 14 #11).
_ID_PIECES = ("a", "b", "safety", "é", "e\u0301", "\u0430", "\u0435", "\u043e", "\u03b1", "Ω", "名前", "ß",
              "İ", "\u0131", "ﬁ", "\uff21", "\U0001d41a", "٣", "Ⅻ", "_", "-", "\u3164", "\u200b", "\u200d",
              "\u00ad", "\u2060", "\ufeff", "\u0301", "x", "·", "ǅ", "\u202e", "1")  # fmt: skip


def unicode_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ID_PIECES) for _ in range(rng.randint(1, 4)))


def unicode_map(rng: random.Random) -> bytes:
    """A map whose IDs are random Unicode, reused in spellings that look
    alike or normalise alike."""
    ids = [unicode_id(rng) for _ in range(rng.randint(2, 6))]
    ids += [rng.choice(ids).replace("é", "e\u0301").replace("a", "\u0430") for _ in range(2)]
    lines = [f'claim {i}: "text {i}"' for i in ids]
    for _ in range(rng.randint(1, 4)):
        c, p = rng.choice(ids), rng.choice(ids)
        lines.append(f"{c} reduces to {p} >= {rng.choice(('partial', 'good'))}")
    lines.append(f"goal {rng.choice(ids)} >= good")
    if rng.random() < 0.5:
        lines.append(f'objection {unicode_id(rng)}: "o"\n    against: {rng.choice(ids)}')
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def ring(rng: random.Random, small: bool = False) -> bytes:
    """A reduction ring with one way in (issue 14 #1)."""
    n = rng.choice((2, 3, 10) if small else (2, 3, 10, 50, 200, 400))
    lines = [f'claim c{i}: "c{i}"' for i in range(n)]
    lines.append('claim leaf: "leaf"\n    assume: great')
    lines += [f"c{i} reduces to c{(i + 1) % n}" for i in range(n)]
    lines.append(f"c{n - 1} reduces to leaf >= good")
    lines.append("goal c0 >= good")
    return ("\n".join(lines) + "\n").encode()


# --------------------------------------------------------------------------- shapes (issue 25)

#: Names a hostile tree is made of: twins in case and normalisation, and
#: (rarer, as each stops the run at once) the names git refuses, control
#: characters, bytes that are not UTF-8, long names.
_TREE_NAMES: tuple[bytes, ...] = (
    b"sub", b"m.crux", b"a.crux", b"pyproject.toml", b"link.crux", "caf\u00e9.crux".encode(),
    b"d", b"d.crux", b"y", b"lib", b"x.crux",
)  # fmt: skip
_TWIN_NAMES: tuple[bytes, ...] = (b"SUB", b"Sub", b"A.crux", b"M.CRUX", "cafe\u0301.crux".encode())
_BAD_NAMES: tuple[bytes, ...] = (
    b"..", b".", b".git", b".GIT", ".g\u200cit".encode(), b"x\ny.crux", b"\xff.crux",
    b"a" * 300 + b".crux",
)  # fmt: skip
_TARGETS: tuple[bytes, ...] = (
    b"m.crux", b"sub", b"../sub", b".", b"..", b"../..", b"../../..", b"sub/../..", b"y/..",
    b"y/y/m.crux", b"/etc/passwd", b"SUB/m.crux", b"link.crux", b"d/../../../outside", b"d",
    b"../m.crux", b"a.crux",
)  # fmt: skip
_BAD_TARGETS: tuple[bytes, ...] = (b"a\0b", b"m.crux\n::error::x", b"\xff.crux", b"", b"a/" * 2100)


def _git_object(objects: Path, kind: str, data: bytes) -> bytes:
    """Store a loose object (as ``git hash-object -w`` would, but without a
    process, and for trees no git command would make); its binary name."""
    import hashlib
    import zlib

    raw = f"{kind} {len(data)}\0".encode() + data
    sha = hashlib.sha1(raw).digest()
    path = objects / sha.hex()[:2] / sha.hex()[2:]
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(zlib.compress(raw, 1))
    return sha


def _hostile_tree(
    rng: random.Random, objects: Path, outside: Path, small: bool, depth: int = 0
) -> tuple[bytes, list[object]]:
    """A random tree (its name, and a description to save): entries in any
    order, twins, symlinks (often to ``outside``) beside directories of the
    same name, NUL and newline targets, huge blobs, submodules."""
    entries: list[bytes] = []
    shown: list[object] = []
    used: set[bytes] = set()
    twins = rng.random() < 0.15  # the same name twice (else case twins at most)
    for _ in range(rng.randint(1, 6)):
        pick = rng.random()
        name = rng.choice(
            _BAD_NAMES if pick < 0.03 else _TWIN_NAMES if pick < 0.12 else _TREE_NAMES
        )
        if name in used and not twins:
            continue
        used.add(name)
        pick = rng.random()
        if pick < 0.3:
            data = rng.choice(
                (b'claim x: "X"\n', b'import "m.crux"\nclaim y: "Y"\n', b"\xff\xfe", b"")
            )
            if not small and rng.random() < 0.05:
                data = b'claim big: "B"\n' + b"#" * (5 << 20)  # over the 4 MiB limit
            mode, sha, what = b"100644", _git_object(objects, "blob", data), data[:40]
        elif pick < 0.65:
            pool = _BAD_TARGETS if rng.random() < 0.05 else _TARGETS
            target = rng.choice(pool) if rng.random() < 0.7 else str(outside).encode()
            if not small and rng.random() < 0.03:
                target = b"x" * (5 << 20)
            mode, sha, what = b"120000", _git_object(objects, "blob", target), ("link", target[:60])
        elif pick < 0.93 and depth < 3:
            sha, what = _hostile_tree(rng, objects, outside, small, depth + 1)
            mode = b"40000"
        else:
            mode, sha, what = b"160000", bytes(rng.randrange(256) for _ in range(20)), "submodule"
        entries.append(mode + b" " + name + b"\0" + sha)
        shown.append((name, what))
    if depth == 0 and b"m.crux" not in used and rng.random() < 0.5:  # the working tree's map
        entries.append(b"100644 m.crux\0" + _git_object(objects, "blob", b'claim x: "X"\n'))
    return _git_object(objects, "tree", b"".join(entries)), shown


def _git_repo(workdir: Path) -> Path:
    """A repository under the scratch project with one commit (``m.crux``)."""
    import subprocess

    repo = workdir / "gitrepo"
    if not (repo / ".git").is_dir():
        repo.mkdir(exist_ok=True)
        (repo / "m.crux").write_bytes(b'claim x: "X"\n    assume: good\ngoal x >= good\n')
        env = {**os.environ, "GIT_AUTHOR_NAME": "f", "GIT_AUTHOR_EMAIL": "f@example.org",
               "GIT_COMMITTER_NAME": "f", "GIT_COMMITTER_EMAIL": "f@example.org"}  # fmt: skip
        for args in (["init", "-q"], ["add", "m.crux"], ["commit", "-qm", "init"]):
            subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return repo


def git_tree(
    rng: random.Random, workdir: Path, small: bool = False
) -> tuple[dict[str, bytes], list[str]]:
    """``diff --against`` and ``check --new-only --against`` on a random
    hostile tree (issue 25 #1, #2): besides the usual properties, nothing is
    written outside (a watched directory the links point to keeps its one
    file), no snapshot is left behind, and exit 2 comes with CX007 or a
    usage error."""
    repo = _git_repo(workdir)
    outside = workdir / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "m.crux").write_bytes(b"KEEP\n")
    snapshots = workdir / "tmp"
    snapshots.mkdir(exist_ok=True)
    objects = repo / ".git" / "objects"
    tree, shown = _hostile_tree(rng, objects, outside, small)
    ident = b"f <f@example.org> 0 +0000"
    commit = _git_object(objects, "commit", b"tree " + tree.hex().encode() + b"\nauthor " + ident
                         + b"\ncommitter " + ident + b"\n\nfuzz\n")  # fmt: skip
    (repo / ".git" / "refs" / "heads" / "fuzz").write_text(commit.hex() + "\n")
    fmt = rng.choice(CHECK_FORMATS)
    found: list[str] = []
    here = Path.cwd()
    saved, tempfile.tempdir = tempfile.tempdir, str(snapshots)
    os.chdir(repo)
    try:
        for argv, kind in ((["diff", "--against", "fuzz"], "text"),
                           (["check", "--new-only", "--against", "fuzz", "--format", fmt], fmt)):  # fmt: skip
            o = run_cli(argv)
            found += problems(o, kind)
            if (
                o.status == 2
                and b"CX007" not in o.stderr
                and not o.stderr.startswith(b"cruxmap: error: ")
            ):
                found.append(f"{' '.join(argv)}: exit 2 without CX007 or a usage error")
            left = sorted(p.name for p in snapshots.iterdir())
            if left:
                found.append(f"{' '.join(argv)}: snapshot left behind: {left}")
                for p in snapshots.iterdir():
                    shutil.rmtree(p, ignore_errors=True)
            if (
                sorted(p.name for p in outside.iterdir()) != ["m.crux"]
                or (outside / "m.crux").read_bytes() != b"KEEP\n"
            ):
                found.append(f"{' '.join(argv)}: wrote outside the snapshot, into {outside}")
                shutil.rmtree(outside, ignore_errors=True)
                outside.mkdir()
                (outside / "m.crux").write_bytes(b"KEEP\n")
    finally:
        os.chdir(here)
        tempfile.tempdir = saved
    return {"tree.txt": repr(shown).encode()}, found


def _report_entries(o: Outcome) -> dict[str, dict[str, object]] | None:
    """Each map's entry of a JSON report, its findings written out and a
    ``same_as`` map's entry replaced by the one it names (same result)."""
    try:
        doc = json.loads(o.stdout)
        out = {}
        for m in doc["maps"]:
            m["diagnostics"] = [doc["diagnostics"][i] for i in m["diagnostics"]]
            out[m["root"]] = m
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    for root, m in out.items():
        if "same_as" in m:
            named = dict(out[m["same_as"]])
            named.update(root=root, files=m["files"])
            out[root] = named
    return out


def library_roots(
    rng: random.Random, workdir: Path, small: bool = False
) -> tuple[dict[str, bytes], list[str]]:
    """Roots over one big library, checked together and each alone (issue 19
    #1): routes into library claims, goals and objections on them, scenarios
    touching it. Each map's JSON entry must be the same both ways, and the
    run's exit status the worst of the maps' alone."""
    import libroots  # (beside this file)

    proj = libroots.project(rng, (205, 240) if small else (220, 320), (3, 5) if small else (6, 10))
    files = {name: text.encode() for name, text in proj.files.items()}
    d = workdir / "lib-roots"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    for name, data in files.items():
        (d / name).write_bytes(data)
    scenario = libroots.scenario(rng, proj)
    common = ["--format", "json", "--depth", str(rng.choice((1, 2))),
              "--max-order", str(rng.choice((1, 2, 3)))]  # fmt: skip
    if rng.random() < 0.25:
        common.append("--objections")
    roots = [f"lib-roots/{r}" for r in proj.roots]
    if rng.random() < 0.3:
        roots.append("lib-roots/lib.crux")
    rng.shuffle(roots)
    sets = [a for c, lv in scenario.items() for a in ("--set", f"{c}={lv}")]
    try:
        together = run_cli(["check", *common, *sets, *roots])
        found = problems(together, "json")
        entries = _report_entries(together)
        if found or entries is None:
            return files, found or ["check --format json: no report"]
        worst = 0
        for root in dict.fromkeys(roots):
            name = root.rsplit("/", 1)[1]
            own = set(proj.own.get(name, ()))
            mine = [a for c, lv in scenario.items() if c in own or c in proj.library
                    for a in ("--set", f"{c}={lv}")]  # fmt: skip
            alone = run_cli(["check", *common, *mine, root])
            found += problems(alone, "json")
            worst = max(worst, alone.status if alone.status is not None else 3)
            one = _report_entries(alone)
            if one is not None and root not in one and root not in entries and name == "lib.crux":
                continue  # a library: linted, no map entry either way (docs/language.md)
            if one is None or root not in one or root not in entries:
                found.append(f"{root}: no entry in the report")
            elif one[root] != entries[root]:
                found.append(
                    f"{root}: checked with {' '.join(roots)} its report differs from alone"
                )
        if together.status != worst:
            found.append(f"exit {together.status} together, {worst} the worst alone")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return files, found


# --------------------------------------------------------------------------- language server

#: What a workspace's ``.env`` and the watched directory outside it hold: no
#: answer of the server may carry it (it reads neither).
LSP_SECRET = "hunter2-lsp-fuzz"
LSP_REQUESTS = (
    "textDocument/hover", "textDocument/definition", "textDocument/references",
    "textDocument/completion", "textDocument/documentSymbol", "textDocument/rename",
    "textDocument/prepareRename", "textDocument/codeAction", "textDocument/inlayHint",
    "textDocument/formatting", "textDocument/foldingRange", "textDocument/semanticTokens/full",
)  # fmt: skip


class LspClient:
    """A small synchronous JSON-RPC client for ``cruxmap lsp`` in a
    subprocess: Content-Length frames over stdio, a reader thread per pipe,
    requests one at a time with a time bound. Requests the server makes of
    the client are answered with ``null`` (and ``workspace/applyEdit``
    recorded: the server must never ask to write)."""

    def __init__(self, cwd: Path) -> None:
        import queue
        import subprocess
        import threading

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cruxmap", "lsp"], cwd=cwd,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.inbox: queue.Queue[dict[str, object] | None] = queue.Queue()
        self.notes: list[dict[str, object]] = []
        self.server_requests: list[str] = []
        self.stderr = bytearray()
        self._ids = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                body = out.read(length)
                try:
                    self.inbox.put(json.loads(body))
                except ValueError:
                    self.inbox.put({"unparsable": body[:200].decode("utf-8", "replace")})
        finally:
            self.inbox.put(None)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):  # type: ignore[union-attr]
            self.stderr += chunk

    def send(self, msg: dict[str, object]) -> None:
        body = json.dumps(msg).encode("utf-8")
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the server is gone: the next wait says so

    def notify(self, method: str, params: object) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: object, timeout: float) -> dict[str, object] | str:
        """The response to one request, or why there is none."""
        import queue

        self._ids += 1
        ident = self._ids
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return f"no answer within {timeout:.0f} s"
            try:
                msg = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            if msg is None:
                return "the server closed its output"
            if "unparsable" in msg:
                return f"unparsable message: {msg['unparsable']!r}"
            if "method" in msg:
                if "id" in msg:  # a request of the server's
                    self.server_requests.append(str(msg["method"]))
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                else:
                    self.notes.append(msg)
                continue
            if msg.get("id") == ident:
                return msg

    def drain(self) -> None:
        """Take in what the server has sent by itself so far."""
        import queue

        with contextlib.suppress(queue.Empty):
            while (msg := self.inbox.get_nowait()) is not None:
                if "method" in msg and "id" not in msg:
                    self.notes.append(msg)
                elif "method" in msg:
                    self.server_requests.append(str(msg["method"]))
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})

    def close(self, timeout: float) -> int | None:
        """``exit``, then the exit status (None: still running, killed)."""
        import subprocess

        self.notify("exit", None)
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def _lsp_workspace(
    rng: random.Random, ws: Path, outside: Path, seeds: list[bytes], small: bool
) -> list[str]:
    """Import chains, rings or stars of small maps, some files hostile;
    a ``.env``, links to it and out, imports of both. Returns the names."""
    n = rng.randint(20, 40) if small else rng.choice((20, 40, 80, 200))
    kind = rng.choice(("chain", "ring", "star-in", "star-out"))
    names = [f"m{i}.crux" for i in range(n)]
    for i, name in enumerate(names):
        if kind == "chain":
            targets = [i + 1] if i + 1 < n else []
        elif kind == "ring":
            targets = [(i + 1) % n]
        elif kind == "star-in":  # every file imports the hub
            targets = [0] if i else []
        else:  # the hub imports every file
            targets = list(range(1, n)) if i == 0 else []
        lines = [f'import "{names[j]}"' for j in targets]
        lines += [f'claim c{i}: "claim {i}"', "    assume: good" if not targets else ""]
        lines += [f"c{i} reduces to c{j}" for j in targets[:3]]
        if rng.random() < 0.3:
            lines.append(f"goal c{i} >= good")
        data = "\n".join(lines).encode() + b"\n"
        roll = rng.random()
        if roll < 0.08:
            data = random_input(rng, seeds)[1]
        elif roll < 0.16:
            data = mutate(data, rng)
        elif roll < 0.2:
            data += unicode_map(rng)
        elif roll < 0.26:
            data = rng.choice((b'import ".env"\n', b'import "link.crux"\n', b'import "out.crux"\n',
                               b'import "../outside/secret.crux"\n', b'import "../outside"\n',
                               b'import "/etc/passwd"\n', b'import "loop.crux"\n')) + data  # fmt: skip
        (ws / name).write_bytes(data)
    (ws / ".env").write_text(f'claim secret: "{LSP_SECRET}"\n')
    (outside / "secret.crux").write_text(f'claim secret: "{LSP_SECRET}"\n')
    (ws / "link.crux").symlink_to(".env")
    (ws / "out.crux").symlink_to(outside / "secret.crux")
    (ws / "loop.crux").symlink_to("loop.crux")
    return names


def _lsp_snapshot(*dirs: Path) -> dict[str, object]:
    """Every entry under ``dirs``: its bytes, or where it links."""
    seen: dict[str, object] = {}
    for d in dirs:
        for p in sorted(d.rglob("*")):
            if p.is_symlink():
                seen[str(p)] = ("link", os.readlink(p))
            elif p.is_file():
                seen[str(p)] = p.read_bytes()
            else:
                seen[str(p)] = "dir"
    return seen


def _lsp_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def lsp_session(  # noqa: C901 (one scripted protocol session, step by step; issue 20 bounds src)
    rng: random.Random, workdir: Path, seeds: list[bytes], small: bool = False
) -> tuple[dict[str, bytes], list[str]]:
    """A scripted session with ``cruxmap lsp`` on a random import-heavy
    workspace (issue 25 #3, #5, #9): every request answered within the
    bound, never with a traceback; none on stderr or in a log message; the
    server exits after ``exit``; nothing written; no answer shows the
    ``.env`` or the watched directory outside, or what they hold."""
    base = workdir / "lsp"
    shutil.rmtree(base, ignore_errors=True)
    ws, outside = base / "ws", base / "outside"
    ws.mkdir(parents=True)
    outside.mkdir()
    (ws / "pyproject.toml").write_text("[project]\nname = 'ws'\n")
    names = _lsp_workspace(rng, ws, outside, seeds, small)
    before = _lsp_snapshot(base)
    limit = SLOW_S if SLOW_S is not None else TIMEOUT_S
    found: list[str] = []
    script: list[str] = []
    texts: dict[str, str] = {}
    versions: dict[str, int] = {}
    opened_itself: set[str] = set()
    client = LspClient(ws)

    def ask(method: str, params: object) -> None:
        start = time.monotonic()
        answer = client.request(method, params, limit)
        took = time.monotonic() - start
        script.append(f"{method} {json.dumps(params)[:300]} -> {str(answer)[:300]} ({took:.2f} s)")
        if isinstance(answer, str):
            found.append(f"{method}: {answer}")
            raise Hang(answer)  # the rest of the session would wait as long
        error = answer.get("error")
        if error is not None:
            shown = json.dumps(error)
            if "Traceback" in shown or (isinstance(error, dict) and error.get("code") == -32603):
                found.append(f"{method}: error {shown[:400]}")
        if method != "initialize":
            shown = json.dumps(answer.get("result"))
            # The server names a buffer by its real path: one the editor
            # opened itself through a link may be answered under the target.
            hidden = [LSP_SECRET]
            if not opened_itself & {".env", "link.crux"}:
                hidden.append((ws / ".env").as_uri())
            if "out.crux" not in opened_itself:
                hidden.append(outside.as_uri())
            if any(h in shown for h in hidden):
                found.append(f"{method}: the answer shows .env or outside: {shown[:300]}")

    def uri_of(name: str) -> str:
        return (ws / name).as_uri()

    try:
        ask("initialize", {"processId": None, "rootUri": ws.as_uri(), "capabilities": {},
                           "workspaceFolders": [{"uri": ws.as_uri(), "name": "ws"}]})  # fmt: skip
        client.notify("initialized", {})
        for name in rng.sample(names, rng.randint(1, 3)):
            with contextlib.suppress(OSError):
                texts[uri_of(name)] = (
                    _lsp_text((ws / name).read_bytes()) if rng.random() < 0.9 else ""
                )
        if rng.random() < 0.3:  # the editor opens a link out, or .env, itself
            name = rng.choice(("link.crux", "out.crux", ".env"))
            texts[uri_of(name)] = 'import "m0.crux"\nclaim q: "Q"\n'
            opened_itself.add(name)
        for uri, text in texts.items():
            versions[uri] = 1
            client.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "crux", "version": 1, "text": text}})  # fmt: skip
        if rng.random() < (0.2 if small else 0.05):  # a document over 4 MiB, only ever a buffer
            uri = uri_of("huge.crux")
            texts[uri] = chain(3) + 'claim pad: "' + "x" * (4 << 20) + '"\n'
            versions[uri] = 1
            client.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "crux", "version": 1, "text": texts[uri]}})  # fmt: skip
        bad_uris = (
            f"{ws.as_uri()}/a%00b.crux", f"{ws.as_uri()}/%ED%A0%80.crux", f"{ws.as_uri()}/\ud800.crux",
            "file:///etc/passwd", (outside / "secret.crux").as_uri(), uri_of(".env"),
            f"{ws.as_uri()}/../outside/secret.crux", "untitled:Untitled-1", "http://x/y.crux",
            "file://", "", uri_of("link.crux"), uri_of("missing.crux"),
        )  # fmt: skip
        for _ in range(rng.randint(6, 12) if small else rng.randint(8, 20)):
            if rng.random() < 0.2:  # let the background analysis run (0.25 s after an edit)
                time.sleep(rng.choice((0.1, 0.3, 0.6)))
            roll = rng.random()
            if roll < 0.55 or not texts:
                uri = (
                    rng.choice(sorted(texts))
                    if texts and rng.random() < 0.85
                    else rng.choice(bad_uris)
                )
                text = texts.get(uri, "")
                lines = text.split("\n")
                line = rng.randrange(len(lines) + 2)
                col = rng.randrange(len(lines[line]) + 2) if line < len(lines) else rng.randrange(5)
                method = rng.choice(LSP_REQUESTS)
                params: dict[str, object] = {"textDocument": {"uri": uri}}
                if method in ("textDocument/codeAction", "textDocument/inlayHint"):
                    params["range"] = {"start": {"line": 0, "character": 0},
                                       "end": {"line": line, "character": col}}  # fmt: skip
                    if method == "textDocument/codeAction":
                        params["context"] = {"diagnostics": []}
                elif method == "textDocument/formatting":
                    params["options"] = {"tabSize": 4, "insertSpaces": True}
                elif method not in ("textDocument/documentSymbol", "textDocument/foldingRange",
                                    "textDocument/semanticTokens/full"):  # fmt: skip
                    params["position"] = {"line": line, "character": col}
                if method == "textDocument/references":
                    params["context"] = {"includeDeclaration": rng.random() < 0.5}
                if method == "textDocument/rename":
                    params["newName"] = rng.choice(("renamed", "x y", "", "é", "\u202e", "a" * 300))
                ask(method, params)
            elif roll < 0.9 and texts:
                uri = rng.choice(sorted(texts))
                versions[uri] += 1
                text = texts[uri]
                kind = rng.random()
                if kind < 0.3:  # add or remove an import
                    if rng.random() < 0.5:
                        target = rng.choice(
                            (*names, ".env", "link.crux", "out.crux", "../outside/secret.crux")
                        )
                        new = f'import "{target}"\n' + text
                    else:
                        new = re.sub(r'(?m)^import "[^"\n]*"\n?', "", text, count=1)
                    change: dict[str, object] = {"text": new}
                elif kind < 0.5:  # a mutation (maybe invalid)
                    new = _lsp_text(mutate(text.encode("utf-8", "surrogatepass"), rng))
                    change = {"text": new}
                elif kind < 0.55 and not small:  # huge
                    new = text + "# " + "y" * (4 << 20) + "\n"
                    change = {"text": new}
                else:  # an incremental edit at a random place
                    lines = text.split("\n")
                    line = rng.randrange(len(lines))
                    col = rng.randrange(len(lines[line]) + 1)
                    ins = rng.choice(
                        ('\nimport ".env"\n', 'claim z: "Z"\n', '"', "\n", "reduces to ", "é", "")
                    )
                    change = {"range": {"start": {"line": line, "character": col},
                                        "end": {"line": line, "character": col}}, "text": ins}  # fmt: skip
                    lines[line] = lines[line][:col] + ins + lines[line][col:]
                    new = "\n".join(lines)
                texts[uri] = new
                client.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": versions[uri]},
                    "contentChanges": [change]})  # fmt: skip
            else:  # notifications with bad URIs
                uri = rng.choice(bad_uris)
                if rng.random() < 0.5 and uri in bad_uris[:3]:
                    method = "textDocument/didOpen"  # malformed: skipped
                else:
                    method = "textDocument/didClose"
                client.notify(method, {
                    "textDocument": {"uri": uri, "languageId": "crux", "version": 1, "text": "claim q: \"Q\"\n"}})  # fmt: skip
        ask("shutdown", None)
    except Hang:
        pass  # reported by ask
    finally:
        status = client.close(limit)
        client.drain()
    if status != 0:
        found.append(f"the server did not exit cleanly after exit (status {status})")
    err = bytes(client.stderr).decode("utf-8", "replace")
    if "Traceback" in err:
        found.append(f"traceback on the server's stderr: {err[-600:]}")
    for note in client.notes:
        if note.get("method") in ("window/logMessage", "window/showMessage"):
            shown = json.dumps(note.get("params"))
            if "Traceback" in shown or "Error in server" in shown:
                found.append(f"{note['method']}: {shown[:400]}")
        if LSP_SECRET in json.dumps(note):
            found.append(f"{note.get('method')}: shows what .env or outside holds")
    if "workspace/applyEdit" in client.server_requests:
        found.append("the server asked to apply an edit")
    after = _lsp_snapshot(base)
    if after != before:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        found.append(f"files changed during the session: {changed[:10]}")
    files = {name: (ws / name).read_bytes() for name in names if (ws / name).is_file()}
    files = {"session.txt": "\n".join(script).encode("utf-8", "replace"), **files}
    if found:
        files["found.txt"] = "\n".join(found).encode("utf-8", "replace")
    shutil.rmtree(base, ignore_errors=True)
    return files, found


SHAPES = (
    "config", "shared-import", "unicode-ids", "ring", "git-tree", "library-roots", "lsp-session",
)  # fmt: skip
#: The shapes a campaign draws from (``--shapes``).
ACTIVE_SHAPES = SHAPES


def exercise_shape(
    shape: str, rng: random.Random, workdir: Path, seeds: list[bytes], small: bool = False
) -> tuple[dict[str, bytes], list[str]]:
    """Run one input of ``shape``; (the files it wrote, what went wrong).
    ``small`` keeps rings and shared imports small (for the CI tests)."""
    fmt = rng.choice(CHECK_FORMATS)
    if shape == "git-tree":
        return git_tree(rng, workdir, small)
    if shape == "library-roots":
        return library_roots(rng, workdir, small)
    if shape == "lsp-session":
        return lsp_session(rng, workdir, seeds, small)
    if shape == "unicode-ids":
        data = unicode_map(rng)
        return {"t.crux": data}, exercise(data, rng.choice(COMMANDS), workdir)
    if shape == "ring":
        data = ring(rng, small)
        command = rng.choice((*CHECK_FORMATS, "dot"))
        return {"t.crux": data}, exercise(data, command, workdir)
    if shape == "config":
        config = hostile_config(rng)
        (workdir / "t.crux").write_bytes(rng.choice(seeds))
        pyproject = workdir / "pyproject.toml"
        saved = pyproject.read_bytes()
        pyproject.write_bytes(config)
        try:
            argv = rng.choice(
                (["check", "--format", fmt, "t.crux"], ["check", "--format", fmt],
                 ["render", "--format", "dot", "-o", "-", "t.crux"], ["fmt", "--check"],
                 ["render", "t.crux", "--format", "dot", "--check"])
            )  # fmt: skip
            kind = {"check": fmt, "fmt": "fmt"}.get(argv[0], "dot")
            found = problems(run_cli(argv), kind)
        finally:
            pyproject.write_bytes(saved)
        return {"pyproject.toml": config}, found
    assert shape == "shared-import", shape
    files = shared_import(rng, small)
    shared = workdir / "shared"
    shutil.rmtree(shared, ignore_errors=True)
    shared.mkdir()
    for name, data in files.items():
        (shared / name).write_bytes(data)
    try:
        found = problems(run_cli(["check", "--format", fmt, "shared"]), fmt)
        if rng.random() < 0.3:
            found += problems(
                run_cli(["render", "--format", "dot", "-o", "-", "shared/root0.crux"]), "dot"
            )
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    return files, found


# --------------------------------------------------------------------------- campaign


def scratch_project() -> Path:
    """A fresh project root (pyproject.toml, no [tool.cruxmap]) to run in."""
    d = Path(tempfile.mkdtemp(prefix="cruxmap-fuzz-"))
    (d / "pyproject.toml").write_text("[project]\nname = 'fuzz'\n")
    return d


def _worker(args: tuple[int, int, int, str]) -> tuple[int, list[tuple[str, bytes, list[str]]]]:
    """Run ``count`` inputs from ``seed``; (inputs run, failures)."""
    global SLOW_S
    seed, count, worker, found_dir = args
    SLOW_S = SLOW_RUN_S
    workdir = scratch_project()
    os.chdir(workdir)
    try:
        return _run_inputs(seed, count, worker, found_dir, workdir)
    finally:
        os.chdir(workdir.parent)
        shutil.rmtree(workdir, ignore_errors=True)


#: Share of a campaign's inputs drawn from :data:`SHAPES` (each costs more).
SHAPE_SHARE = 0.15


def _run_inputs(
    seed: int, count: int, worker: int, found_dir: str, workdir: Path
) -> tuple[int, list[tuple[str, bytes, list[str]]]]:
    rng = random.Random(seed)
    seeds = [p.read_bytes() for p in seed_files()]
    failures: list[tuple[str, bytes, list[str]]] = []
    for i in range(count):
        if rng.random() < SHAPE_SHARE:
            shape = rng.choice(ACTIVE_SHAPES)
            files, found = exercise_shape(shape, rng, workdir, seeds)
            if found:
                failures.append((shape, next(iter(files.values())), found))
                out = Path(found_dir) / f"w{worker}_{seed}_{i}_{shape}"
                out.mkdir(parents=True, exist_ok=True)
                for name, data in files.items():
                    (out / name).write_bytes(data)
            continue
        _kind, data = random_input(rng, seeds)
        companion = None
        if rng.random() < 0.1:  # two files importing each other (or not)
            _kind, companion = random_input(rng, seeds)
            data = b'import "u.crux"\n' + data
            if rng.random() < 0.5:
                companion = b'import "t.crux"\n' + companion
        command = rng.choice(COMMANDS)
        options = random_options(rng, data) if rng.random() < 0.25 else None
        found = exercise(data, command, workdir, companion=companion, options=options)
        if found:
            failures.append((f"{command} {options or ''}", data, found))
            out = Path(found_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"w{worker}_{seed}_{i}_{command}.crux").write_bytes(data)
            if companion is not None:
                (out / f"w{worker}_{seed}_{i}_{command}.u.crux").write_bytes(companion)
    return count, failures


def campaign(n: int, workers: int, seed: int, found_dir: Path, chunk: int = 500) -> int:
    import multiprocessing

    jobs = []
    k = 0
    while k * chunk < n:
        jobs.append((seed * 1_000_003 + k, min(chunk, n - k * chunk), k % workers, str(found_dir)))
        k += 1
    start = time.monotonic()
    done = 0
    failures: list[tuple[str, bytes, list[str]]] = []
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, maxtasksperchild=20) as pool:
        for count, failed in pool.imap_unordered(_worker, jobs):
            done += count
            failures.extend(failed)
            elapsed = time.monotonic() - start
            print(
                f"\r{done}/{n} inputs, {len(failures)} failures, {elapsed:.0f} s",
                end="",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.monotonic() - start
    print(file=sys.stderr)
    for command, data, found in failures[:20]:
        print(f"--- {command} on {data[:120]!r}")
        for line in found:
            print("   ", line.strip().splitlines()[-1] if "Traceback" in line else line)
    print(
        f"inputs: {done}  failures: {len(failures)}  time: {elapsed:.1f} s  "
        f"({done / elapsed:.0f} inputs/s, {workers} workers, seed {seed})"
    )
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=10_000, help="inputs to run (default 10000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--found", type=Path, default=CORPUS / "found", help="where to save failures")
    ap.add_argument("--shape-share", type=float, default=0.15,
                    help=f"share of inputs from {', '.join(SHAPES)} (default 0.15)")  # fmt: skip
    ap.add_argument("--shapes", default=",".join(SHAPES),
                    help="comma-separated subset of the shapes to draw from")  # fmt: skip
    a = ap.parse_args(argv)
    globals()["SHAPE_SHARE"] = a.shape_share  # read by the forked workers
    globals()["ACTIVE_SHAPES"] = tuple(x for x in a.shapes.split(",") if x in SHAPES) or SHAPES
    return campaign(a.n, a.workers, a.seed, a.found.absolute())


if __name__ == "__main__":
    sys.exit(main())
