"""Maps from files: imports, the project root, one namespace, generated IDs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cruxmap.core.loader import Loader, project_root


def load(path: Path):
    return Loader().load_map(path)


def codes(diags) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in diags]


def test_imports_are_relative_loaded_once_and_may_cycle(write: Callable[..., Path]) -> None:
    write("a.crux", 'import "sub/b.crux"\nimport "sub/b.crux"\nclaim a: "A"\n')
    write("sub/b.crux", 'import "../a.crux"\nimport "c.crux"\nclaim b: "B"\n')
    write("sub/c.crux", 'claim c: "C"\n')
    amap, diags = load(Path("a.crux"))
    assert diags == []
    assert sorted(amap.claims) == ["a", "b", "c"]
    assert amap.files == ["a.crux", "sub/b.crux", "sub/c.crux"]


def test_missing_import_is_cx005_at_the_import(write: Callable[..., Path]) -> None:
    write("a.crux", 'claim a: "A"\nimport "nope.crux"\n')
    _, diags = load(Path("a.crux"))
    assert codes(diags) == [("CX005", 2)]
    assert diags[0].column == 8


def test_imports_cannot_leave_the_project(project: Path, write: Callable[..., Path]) -> None:
    outside = project.parent / f"{project.name}-outside.crux"
    outside.write_text('claim secret: "TOP SECRET"\n')
    try:
        (project / "link.crux").symlink_to(outside)
        write(
            "a.crux",
            f'import "../{outside.name}"\nimport "{outside}"\nimport "link.crux"\nclaim a: "A"\n',
        )
        amap, diags = load(Path("a.crux"))
        assert codes(diags) == [("CX005", 1), ("CX005", 2), ("CX005", 3)]
        assert all("outside the project root" in d.message for d in diags)
        assert "secret" not in amap.claims
        assert not any("TOP SECRET" in d.message for d in diags)
    finally:
        outside.unlink()


def test_project_root_is_nearest_pyproject_or_git(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "pkg" / "deep").mkdir(parents=True)
    (tmp_path / "repo" / "pkg" / "pyproject.toml").write_text("")
    assert project_root(tmp_path / "repo" / "pkg" / "deep" / "x.crux") == tmp_path / "repo" / "pkg"
    (tmp_path / "repo" / "other").mkdir()
    assert project_root(tmp_path / "repo" / "other" / "x.crux") == tmp_path / "repo"


def test_duplicate_ids_name_both_places(write: Callable[..., Path]) -> None:
    write("a.crux", 'import "b.crux"\nclaim x: "A"\nobjection x: "O"\n    against: x\n')
    write("b.crux", 'claim x: "B"\n')
    _, diags = load(Path("a.crux"))
    dup = [d for d in diags if d.code == "CX003"]
    assert len(dup) == 2
    assert all("b.crux:1:7" in d.message for d in dup)


def test_generated_reduction_ids_count_per_conclusion_in_reading_order(
    write: Callable[..., Path],
) -> None:
    write(
        "a.crux",
        'claim a: "A"\nclaim b: "B"\nclaim c: "C"\na reduces to b\nimport "more.crux"\nb reduces to c\na reduces to c\n',
    )
    write("more.crux", "a reduces to c >= good\n")
    amap, diags = load(Path("a.crux"))
    assert diags == []
    assert list(amap.reductions) == ["a#1", "a#2", "b#1", "a#3"]
    assert amap.reductions["a#2"].premises[0].threshold == "good"


def test_unknown_names_and_levels_suggest_the_nearest(write: Callable[..., Path]) -> None:
    write(
        "a.crux",
        'claim interpretability: "I"\nclaim alignment: "A"\n'
        "alignment reduces to interpretabilty >= grat\ngoal alignment >= good\n",
    )
    _, diags = load(Path("a.crux"))
    by_code = {d.code: d for d in diags}
    assert by_code["CX002"].suggestion == "did you mean `interpretability`?"
    assert by_code["CX002"].column == 22
    assert by_code["CX004"].suggestion == "did you mean `great`?"


def test_two_different_scales_are_cx004(write: Callable[..., Path]) -> None:
    write("a.crux", 'import "b.crux"\nscale: lo < hi\n')
    write("b.crux", "scale: lo < mid < hi\n")
    amap, diags = load(Path("a.crux"))
    assert codes(diags) == [("CX004", 2)]
    assert amap.scale == ["lo", "mid", "hi"]


def test_same_scale_twice_is_fine(write: Callable[..., Path]) -> None:
    write("a.crux", 'import "b.crux"\nscale: lo < hi\n')
    write("b.crux", "scale: lo < hi\n")
    assert load(Path("a.crux"))[1] == []


def test_assume_on_concluded_claim_and_caps_on_reduction_are_cx006(
    write: Callable[..., Path],
) -> None:
    write(
        "a.crux",
        'claim a: "A"\n    assume: good\nclaim b: "B"\nreduction r: a reduces to b\n'
        'objection o: "O"\n    against: r\n    caps: good\n',
    )
    _, diags = load(Path("a.crux"))
    assert codes(diags) == [("CX006", 2), ("CX006", 7)]


def test_unreadable_and_directory_inputs_are_cx005(project: Path) -> None:
    (project / "dir.crux").mkdir()
    _, diags = load(Path("dir.crux"))
    assert codes(diags) == [("CX005", 1)]
    (project / "bad.crux").symlink_to(project / "missing.crux")
    _, diags = load(Path("bad.crux"))
    assert [d.code for d in diags] == ["CX005"]
    if os.name == "posix":
        (project / "loop.crux").symlink_to(project / "loop.crux")
        _, diags = load(Path("loop.crux"))
        assert [d.code for d in diags] == ["CX005"]
