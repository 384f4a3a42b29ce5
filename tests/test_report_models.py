"""One JSON report definition: the pydantic models of :mod:`cruxmap.present.report`
define the layout (and publish ``docs/report.schema.json``); the fast writer
(:mod:`cruxmap.present.jsonreport` and the ``json`` format, which keep pydantic off
``check``'s start-up) must write exactly what the models validate and
serialise, and every field the models declare."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generate import SHAPES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from randmaps import GeneratedMap, crux_maps, shaped_maps, text_of

from cruxmap import api
from cruxmap.present import formats
from cruxmap.present.report import Report

#: Fields some report writes: every field the models declare must be here
#: by the end of the module (see the last test).
WRITTEN: set[tuple[str, str]] = set()


def _written(model: BaseModel) -> Iterator[tuple[str, str]]:
    """(model, field) for each field ``model`` and the models in it were given."""
    for name in model.model_fields_set:
        yield type(model).__name__, name
        value = getattr(model, name)
        items = (
            value.values()
            if isinstance(value, dict)
            else value
            if isinstance(value, list)
            else [value]
        )
        for v in items:
            if isinstance(v, BaseModel):
                yield from _written(v)


def _declared(model: type[BaseModel]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    todo = [model]
    while todo:
        m = todo.pop()
        for name, info in m.model_fields.items():
            if (m.__name__, name) in out:
                continue
            out.add((m.__name__, name))
            for sub in _models_in(info.annotation):
                todo.append(sub)
    return out


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _models_in(arg)


def check_json(files: dict[str, str], roots: list[str], options: api.Options | None = None) -> str:
    """``cruxmap check --format json ROOTS`` over ``files``, in process."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, "utf-8")
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            out = io.StringIO()
            writer = formats.get("json")(out)
            run = api.Run(roots, options)
            writer.begin(run)
            for res, fresh in run:
                writer.map(res, fresh)
            writer.end(run)
        finally:
            os.chdir(cwd)
    return out.getvalue()


def assert_models_agree(text: str) -> None:
    """The writer's report is what the models make of it: valid, and the
    same document again when serialised (nothing dropped, added or changed)."""
    doc = json.loads(text)
    model = Report.model_validate(doc)
    assert json.loads(model.model_dump_json(exclude_unset=True)) == doc
    WRITTEN.update(_written(model))


@given(st.one_of(crux_maps(), shaped_maps()), st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_maps_report_what_the_models_serialise(gm: GeneratedMap, objections: bool) -> None:
    text = check_json({"m.crux": text_of(gm.map)}, ["m.crux"], api.Options(objections=objections))
    assert_models_agree(text)


def test_benchmark_shapes_report_what_the_models_serialise() -> None:
    for name, make in SHAPES.items():
        assert_models_agree(check_json({f"{name}.crux": make(60, 0)}, [f"{name}.crux"]))


def test_big_maps_stream_what_the_models_serialise() -> None:
    """Over the compact threshold the writer streams goal by goal."""
    assert_models_agree(check_json({"w.crux": SHAPES["wide"](1200, 0)}, ["w.crux"],
                                   api.Options(max_order=2)))  # fmt: skip


def test_unusual_reports_report_what_the_models_serialise() -> None:
    """Reports with the optional parts: a syntax error (an excerpt), a map
    made of the same files as another (``same_as``), a file that is missing,
    a critique goal."""
    broken = 'claim a: "x\n'
    critique = (
        'claim a: "a"\n    source: "s"\n    assume: good\ngoal a >= great\n    expect: fails\n'
    )
    assert_models_agree(check_json({"b.crux": broken}, ["b.crux"]))
    assert_models_agree(check_json({"c.crux": critique, "d.crux": 'import "c.crux"\n'},
                                   ["c.crux", "d.crux", "missing.crux"]))  # fmt: skip


def test_every_declared_field_is_written() -> None:
    """The reports above wrote every field the models declare, so no field
    is declared and never produced (the fixed reports are made again here:
    the test does not depend on the others running first)."""
    test_benchmark_shapes_report_what_the_models_serialise()
    test_unusual_reports_report_what_the_models_serialise()
    missing = _declared(Report) - WRITTEN
    assert not missing, f"fields the models declare that no report wrote: {sorted(missing)}"
