"""Shared helpers: write a map into a scratch project and run the CLI on it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cruxmap.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project root (it has a pyproject.toml) as the working directory."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write(project: Path) -> Callable[..., Path]:
    def _write(name: str, text: str) -> Path:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``cruxmap ARGS`` in-process: (exit code, stdout, stderr)."""

    def _run(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def report(run: Callable[..., tuple[int, str, str]]) -> Callable[..., dict]:
    """The JSON report of ``cruxmap check --format json ARGS``."""

    def _report(*args: str | os.PathLike[str]) -> dict:
        code, out, err = run("check", "--format", "json", *args)
        assert code in (0, 1), (code, out, err)
        return single_map(json.loads(out))

    return _report


def single_map(doc: dict) -> dict:
    """The one map's entry of a report (``docs/report.schema.json``), or the
    whole report when it has several maps."""
    return doc["maps"][0] if len(doc["maps"]) == 1 else doc
