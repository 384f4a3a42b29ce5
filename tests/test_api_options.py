"""``cruxmap.Options`` refuses meaningless values when it is made (issue 25 #7).

``Options(depth=0)``, ``depth=-5`` and ``max_order=0`` used to be accepted
and silently give depth-1 results; ``depth=1.5``, ``depth="2"``,
``max_order=None``, a scenario value of ``None`` or a scenario given as a
string raised a raw ``TypeError`` or ``AttributeError`` from deep in the
engine. Each now raises :class:`cruxmap.CruxmapError` naming the field.
"""

from __future__ import annotations

from typing import Any

import pytest

from cruxmap import api

MAP = """\
claim top: "T"
claim a: "A"
    assume: great
top reduces to a >= good
goal top >= good
"""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"depth": 0}, "depth"),
        ({"depth": -5}, "depth"),
        ({"max_order": 0}, "max_order"),
        ({"depth": 1.5}, "depth"),
        ({"depth": "2"}, "depth"),
        ({"depth": True}, "depth"),
        ({"max_order": None}, "max_order"),
        ({"scenario": {"a": None}}, "scenario"),
        ({"scenario": {"a": 2}}, "scenario"),
        ({"scenario": "a=good"}, "scenario"),
        ({"scenario": None}, "scenario"),
        ({"objections": "no"}, "objections"),
        ({"select": "CX1"}, "select"),
        ({"ignore": (1,)}, "ignore"),
    ],
    ids=repr,
)
def test_meaningless_options_raise_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(api.CruxmapError, match=rf"^Options\.{field} must "):
        api.Options(**changes)
    with pytest.raises(api.CruxmapError, match=rf"^Options\.{field} must "):
        api.Options().replace(**changes)  # a copy is checked too


def test_valid_options_are_kept_and_still_analyse() -> None:
    opts = api.Options(depth=2, max_order=1, select=["CX1"], ignore=iter(["CX2"]))
    assert opts.select == ("CX1",) and opts.ignore == ("CX2",)  # tuples: key() stays hashable
    hash(opts.key())
    r = api.analyse(api.load_text(MAP, "m.crux"), opts.replace(scenario={"a": "good"}))
    assert r.goals["top"].status == "holds"
    assert r.claims["a"].value == "good"


def test_one_options_object_from_the_api_down_to_the_engine_and_renderer() -> None:
    """Issue 20 #3: the engine, the renderer and the explorer take the API's
    Options whole; none declares its own."""
    import inspect

    from cruxmap.core import lint, options
    from cruxmap.present import explore, render

    assert api.Options is options.Options
    assert not hasattr(lint, "Options") or lint.Options is api.Options
    assert render.Request(paths=[]).options == api.Options()
    for fn in (lint.check_map, render.to_dot, render.to_dot_combined, explore.build_page):
        params = inspect.signature(fn).parameters
        assert "options" in params and not {"depth", "max_order", "overrides"} & set(params)


def test_config_is_immutable_and_flags_make_a_changed_copy(tmp_path: Any) -> None:
    import dataclasses

    from cruxmap.core import config

    cfg = config.parse({"select": ["CX1"], "depth": 2}, tmp_path / "pyproject.toml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.depth = 3  # type: ignore[misc]
    assert cfg.select == ("CX1",)
    changed = dataclasses.replace(cfg, depth=3)
    assert (cfg.depth, changed.depth) == (2, 3)
    assert api.Options.from_config(changed).depth == 3


def test_every_error_cruxmap_raises_is_a_cruxmap_error() -> None:
    """Issue 20 #6: one ``except cruxmap.CruxmapError`` catches them all; the
    file refusals stay OSErrors for the callers that catch those."""
    import cruxmap
    from cruxmap.commands import common
    from cruxmap.core import config, files, formatting, gitrev, loader
    from cruxmap.lsp import index, project
    from cruxmap.present import diff, explore, render

    assert cruxmap.CruxmapError is api.CruxmapError
    assert render.UsageProblem is explore.UsageProblem  # one class, not two
    for cls in (
        common.UsageError,
        config.ConfigError,
        diff.DiffError,
        formatting.InternalError,
        formatting.SyntaxProblem,
        gitrev.GitError,
        gitrev.TreeRefused,
        render.GraphvizNotFound,
        render.RenderError,
        render.UsageProblem,
        index.Refused,
        project.OutsideRoot,
    ):
        assert issubclass(cls, api.CruxmapError), cls
    for os_cls in (loader.FileTooLarge, files.NotRewritable):
        assert issubclass(os_cls, api.CruxmapError) and issubclass(os_cls, OSError)
    refused = files.NotRewritable(13, "it is read-only")
    assert (refused.errno, refused.strerror, refused.diagnostics) == (13, "it is read-only", [])
