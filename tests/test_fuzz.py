"""Fuzzing (issue 5): hostile input never crashes, hangs or garbles output.

Every test here feeds ``cruxmap check`` (all formats), ``render --format
dot`` and ``fmt`` (in place and on standard input) inputs nobody would write
on purpose, and checks the properties listed in ``fuzz_campaign.py``: exit
status 0, 1 or 2 and no exception escaping ``main``, a bounded run time,
clean output, and ``fmt`` losing nothing. The hypothesis budget is small for
CI (``--hypothesis-profile thorough`` raises it); ``tests/fuzz_campaign.py`` runs the
long campaign. Every file kept under ``tests/fuzz_corpus/`` is replayed.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_campaign import (  # tests/ is on pytest's pythonpath
    CHECK_FORMATS,
    COMMANDS,
    CORPUS,
    SHAPES,
    TOKENS,
    corpus_files,
    exercise,
    exercise_shape,
    mutate,
    problems,
    random_options,
    run_cli,
    seed_files,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGALRM time bounds")
EXAMPLES = settings.default.max_examples * 3 // 2  # the hypothesis profile's (--hypothesis-profile)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEEDS = [p.read_bytes() for p in seed_files()]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch project (pyproject.toml, no [tool.cruxmap]) as the cwd."""
    d = tmp_path_factory.mktemp("fuzz")
    (d / "pyproject.toml").write_text("[project]\nname = 'fuzz'\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(d)
        yield d


commands = st.sampled_from(COMMANDS)


def test_there_are_seeds() -> None:
    assert len(SEEDS) >= 5
    assert (CORPUS / "seeds").is_dir()


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    changes=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=6),
    command=commands,
)
def test_mutated_valid_files(workdir: Path, seed: int, changes: list[int], command: str) -> None:
    """Valid maps with lines and tokens deleted, duplicated, swapped, cut short."""
    data = SEEDS[seed]
    for n in changes:
        data = mutate(data, random.Random(n))
    assert exercise(data, command, workdir) == []


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    changes=st.lists(st.integers(0, 2**32 - 1), max_size=3),
    options=st.integers(0, 2**32 - 1),
    fmt=st.sampled_from(CHECK_FORMATS),
)
def test_check_options(
    workdir: Path, seed: int, changes: list[int], options: int, fmt: str
) -> None:
    """Scenarios (--set) on the file's own words, depths, orders, filters."""
    data = SEEDS[seed]
    for n in changes:
        data = mutate(data, random.Random(n))
    extra = random_options(random.Random(options), data)
    assert exercise(data, fmt, workdir, options=extra) == []


@FUZZ
@given(data=st.binary(max_size=500), command=commands)
def test_random_bytes(workdir: Path, data: bytes, command: str) -> None:
    assert exercise(data, command, workdir) == []


@FUZZ
@given(
    text=st.text(st.characters(blacklist_categories=()), max_size=300),
    command=commands,
)
def test_random_unicode(workdir: Path, text: str, command: str) -> None:
    """Any code point, controls, bidi overrides and lone surrogates included
    (a surrogate makes the bytes invalid UTF-8)."""
    assert exercise(text.encode("utf-8", "surrogatepass"), command, workdir) == []


@FUZZ
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=80), command=commands)
def test_token_soup(workdir: Path, tokens: list[str], command: str) -> None:
    """Keywords, punctuation, strings and levels in any order."""
    data = " ".join(tokens).encode("utf-8", "surrogatepass")
    assert exercise(data, command, workdir) == []


@FUZZ
@given(
    a=st.integers(0, len(SEEDS) - 1),
    b=st.integers(0, len(SEEDS) - 1),
    changes=st.lists(st.integers(0, 2**32 - 1), max_size=3),
    cycle=st.booleans(),
    command=commands,
)
def test_mutated_imports(
    workdir: Path, a: int, b: int, changes: list[int], cycle: bool, command: str
) -> None:
    """Two files, one importing the other (or each other), mutated."""
    data, other = SEEDS[a], SEEDS[b]
    for n in changes:
        data = mutate(data, random.Random(n))
        other = mutate(other, random.Random(n + 1))
    data = b'import "u.crux"\n' + data
    if cycle:
        other = b'import "t.crux"\n' + other
    assert exercise(data, command, workdir, companion=other) == []


@pytest.mark.parametrize(
    "path", corpus_files(), ids=lambda p: p.relative_to(CORPUS).as_posix() if p else ""
)
def test_corpus_replay(workdir: Path, path: Path) -> None:
    """Every input that once failed (regressions/), every hostile sample and
    every seed, through every command, as a copy in the scratch project."""
    data = path.read_bytes()
    found = [p for command in COMMANDS for p in exercise(data, command, workdir)]
    assert found == []


@pytest.mark.parametrize("fmt", CHECK_FORMATS)
def test_corpus_in_place(fmt: str, workdir: Path) -> None:
    """The corpus directories checked where they are, imports and all."""
    for sub in sorted(p for p in CORPUS.iterdir() if p.is_dir() and p.name != "found"):
        outcome = run_cli(["check", "--format", fmt, str(sub)])
        assert problems(outcome, fmt) == [], sub


HOSTILE_SAMPLES = [
    b"",
    b"\n" * 1000,
    b"\xef\xbb\xbf",
    b"\xff\xfe\x00c\x00l\x00a\x00i\x00m",  # UTF-16
    b'claim a: "\x00\x1b[2J\x07"\n',
    b'claim a: """' + b"x" * 5000,
    b'"""' * 300,
    b'"' * 1001,
    b"\\" * 1000,
    b"#" * 1000 + b"\n",
    b"claim\n" * 300,
    b"\t" * 100 + b'claim a: "x"\n',
    b"a reduces to " + b"a and " * 2000 + b"a\n",
    b"scale: " + b" < ".join(b"l%d" % i for i in range(500)) + b"\n",
    b'import "t.crux"\n' * 50,
    b"\r\r\r\n\r",
]


@pytest.mark.parametrize(
    "data", HOSTILE_SAMPLES, ids=[f"s{i}" for i in range(len(HOSTILE_SAMPLES))]
)
def test_hostile_samples(workdir: Path, data: bytes) -> None:
    found = [p for command in COMMANDS for p in exercise(data, command, workdir)]
    assert found == []


SUBPROCESS_INPUTS = [
    b"\x00\xff" * 50,
    b'claim a\x1b[31m: "x"\nclaim b: "\xe2\x80\xae"\na reduces to b\n',
    b'import "../../../../etc/passwd"\n',
]


@pytest.mark.parametrize("data", SUBPROCESS_INPUTS)
@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["check", "--format", "json"],
        ["check", "--format", "sarif"],
        ["render", "--format", "dot", "-o", "-"],
        ["fmt", "--check"],
    ],
)
def test_subprocess_runs(tmp_path: Path, data: bytes, argv: list[str]) -> None:
    """A few runs as a real process: exit 0/1/2, no traceback, bounded."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "t.crux").write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", *argv, "t.crux"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    both = proc.stdout + proc.stderr
    assert b"Traceback" not in both
    both.decode("utf-8")  # valid UTF-8, whatever the input
    assert b"root:" not in both  # /etc/passwd was not read


@pytest.mark.parametrize("shape", [s for s in SHAPES if s != "lsp-session"])
@pytest.mark.parametrize("seed", range(6))
def test_issue14_shapes(workdir: Path, shape: str, seed: int) -> None:
    """Hostile config values, many roots sharing an import, Unicode
    identifiers and rings, small, a few of each (the campaign runs more)."""
    rng = random.Random(f"{shape}-{seed}")
    seeds = [p.read_bytes() for p in seed_files()]
    _files, found = exercise_shape(shape, rng, workdir, seeds, small=True)
    assert found == []


@pytest.mark.parametrize("seed", range(2))
def test_lsp_session_shape(workdir: Path, seed: int) -> None:
    """Issue 25: a scripted session with ``cruxmap lsp`` in a subprocess on
    an import-heavy workspace with hostile files, a few seconds each (the
    campaign runs more): answers without tracebacks, nothing written."""
    rng = random.Random(f"lsp-session-{seed}")
    _files, found = exercise_shape("lsp-session", rng, workdir, SEEDS, small=True)
    assert found == []


def test_lsp_change_to_a_closed_document(tmp_path: Path) -> None:
    """Found by the lsp-session shape: a ``didChange`` for a document that
    is not open (closed, or never opened) made pygls raise KeyError and
    show the user "Error in server". It is skipped, like any notification
    the server cannot use; the document, opened again, is served."""
    from fuzz_campaign import LspClient

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'w'\n")
    (tmp_path / "m.crux").write_text('claim a: "A"\ngoal a >= good\n')
    uri = (tmp_path / "m.crux").as_uri()
    client = LspClient(tmp_path)
    try:
        init = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}
        assert "result" in client.request("initialize", init, 60)  # type: ignore[operator]
        client.notify("initialized", {})
        change = {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "x"}]}
        client.notify("textDocument/didChange", change)  # never opened
        item = {"uri": uri, "languageId": "crux", "version": 1, "text": 'claim a: "A"\n'}
        client.notify("textDocument/didOpen", {"textDocument": item})
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        client.notify("textDocument/didChange", change)  # closed
        client.notify("textDocument/didOpen", {"textDocument": item})
        symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, 60)
        assert isinstance(symbols, dict)
        assert [s["name"] for s in symbols["result"]] == ["a"]
        assert client.request("shutdown", None, 60)
    finally:
        status = client.close(60)
        client.drain()
    shown = [
        n for n in client.notes if n.get("method") in ("window/showMessage", "window/logMessage")
    ]
    assert shown == []
    assert "Traceback" not in client.stderr.decode("utf-8", "replace")
    assert status == 0
