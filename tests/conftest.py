"""Shared helpers: write a map into a scratch project and run the CLI on it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from cruxmap.commands import main

# Hypothesis profiles, chosen with ``--hypothesis-profile NAME`` (pytest) or
# HYPOTHESIS_PROFILE: ``default`` for every run, ``thorough`` for a long
# campaign before a release, ``quick`` while editing.
_COMMON = dict(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("default", max_examples=100, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=2000, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("quick", max_examples=10, **_COMMON)  # type: ignore[arg-type]
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every hypothesis test ``property`` (``-m property`` selects them)."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)


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
    """The one map's entry of a report (``docs/report.schema.json``), its
    ``diagnostics`` (positions in the report's list) resolved to the findings
    themselves; or the whole report when it has several maps."""
    if len(doc["maps"]) != 1:
        return doc
    entry = dict(doc["maps"][0])
    entry["diagnostics"] = [doc["diagnostics"][i] for i in entry["diagnostics"]]
    return entry
