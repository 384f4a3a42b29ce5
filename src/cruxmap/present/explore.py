"""``cruxmap explore``: one self-contained HTML page to turn a map's knobs.

The page shows the drawing ``cruxmap render`` makes (the same DOT, laid out
by the same Graphviz) and evaluates the map itself, in a small JavaScript
port of the engine (``cruxmap/present/web/engine.js``), so that a reader can lower a
premise and watch which goals fail without running anything. Everything it
needs is inline: it works from ``file://``, on GitHub Pages and inside a
notebook's output, and makes no network request.

Safety is by construction rather than by escaping at every use:

* all map text reaches the page as JSON in a ``<script
  type="application/json">`` block with ``<``, ``>`` and ``&`` written as
  ``\\u`` escapes (so no string can close the block), and the page builds its
  DOM from it with ``textContent`` only;
* the drawing is render's checked SVG, parsed by the browser as XML
  (``DOMParser``), never as HTML;
* a Content-Security-Policy meta tag allows only the page's own inline
  script and style, by hash: no network, no inline handlers, no ``eval``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cruxmap.core.errors import UsageProblem
from cruxmap.core.mapresult import MapResult
from cruxmap.core.options import Options
from cruxmap.present import render
from cruxmap.present.output import redact_credentials

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cruxmap.core.dependents import Layout

#: Bumped when the page's layout or data changes meaning, so committed pages go stale.
PAGE_VERSION = "1"
#: The page's default: opened at baseline, default depth and order.
_BASELINE = Options()
_DIGEST_RE = re.compile(r'<meta name="cruxmap-source" content="sha256:([0-9a-f]{64})">')


def asset(name: str) -> str:
    """The text of a file shipped in ``cruxmap/present/web/``."""
    return resources.files("cruxmap.present").joinpath("web", name).read_text(encoding="utf-8")


def _elem_id(kind: str, ident: str) -> str:
    """The SVG element ID render gives a node (render quotes it for DOT)."""
    return render._elem_id("", kind, ident).strip('"')


def model(res: MapResult, options: Options = _BASELINE) -> dict[str, Any]:
    """The map as the page's engine and panels read it: indices for the
    engine (claims in the order of :class:`~cruxmap.core.graph.ClaimGraph`),
    text for the panels; the page's engine works to ``options``' depth and
    order."""
    g = res.graph
    if not res.analysed or g is None:
        raise render.RenderError(f"{res.amap.root}: the map has errors and was not analysed")
    amap = res.amap

    def _r(text: str | None) -> str | None:  # no credentials from URLs in the page (issue 14 #15)
        return None if text is None else redact_credentials(text)

    lv = {name: i for i, name in enumerate(g.levels)}
    claims = []
    for i, name in enumerate(g.names):
        c = amap.claims[name]
        claims.append(
            {
                "id": name,
                "text": _r(c.text),
                "source": _r(c.source),
                "url": render.safe_url(c.source) is not None,
                "note": _r(c.note),
                "tags": list(c.tags),
                "where": f"{Path(c.loc.path).name}:{c.loc.line}",
                "svg": _elem_id("claim", name),
                "leaf": g.is_leaf(i),
            }
        )
    routes = []
    for r in g.routes:
        red = amap.reductions[r.id]
        routes.append(
            {
                "id": r.id,
                "c": r.conclusion,
                "p": [list(pt) for pt in r.premises],
                "y": r.yields,
                "explicit": red.explicit_id,
                "because": _r(red.because),
                "svg": _elem_id("route", r.id),
            }
        )
    route_index = {r.id: r.index for r in g.routes}
    objections = []
    for oid, o in amap.objections.items():
        target = o.against or ""
        if target in g.index:
            kind, t = "claim", g.index[target]
        elif target in route_index:
            kind, t = "route", route_index[target]
        elif target in amap.objections:
            kind, t = "objection", None
        else:
            kind, t = "none", None
        objections.append(
            {
                "id": oid,
                "text": _r(o.text),
                "against": target,
                "kind": kind,
                "t": t,
                "caps": lv.get(o.caps or "", 0),
                "source": _r(o.source),
                "note": _r(o.note),
                "svg": _elem_id("objection", oid),
            }
        )
    return {
        "levels": list(g.levels),
        "names": list(g.names),
        "assume": list(g.assume),
        "leaf": [g.is_leaf(i) for i in range(len(g.names))],
        "routes": routes,
        "comps": [[comp, cyc] for comp, cyc in zip(g.components, g.cyclic, strict=True)],
        # A fourth item, true, for a goal the map expects to fail (written
        # only then, so that other pages stay as they were).
        "goals": [
            [g.index[goal.claim], lv[goal.required], goal.implicit]
            + ([True] if goal.expected == "fails" else [])
            for goal in res.goals
        ],
        "objections": objections,
        "claims": claims,
        "depth": options.depth,
        "maxOrder": options.max_order,
        # The Python engine's cut sets at baseline, for goals whose search the
        # page gives up on (the page's is by re-evaluation, within a budget).
        "baselineCutSets": [
            [list(s) for s in res.results[g.index[goal.claim]].cut_sets]
            if res.results[g.index[goal.claim]].holds
            and res.results[g.index[goal.claim]].cut_sets_complete
            else None
            for goal in res.goals
        ],
    }


def _json_for_html(data: object) -> str:
    """JSON that cannot end its ``<script>`` block or open a comment in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _svg_body(svg: bytes) -> str:
    """Render's SVG from its ``<svg`` element on (no XML declaration or DTD)."""
    text = svg.decode("utf-8")
    return text[text.index("<svg") :]


@dataclass
class Page:
    html: str
    #: Digest of what the page shows (map, scenario, explorer code), not of
    #: Graphviz's layout, so that any Graphviz build counts as current.
    digest: str


def build_page(
    res: MapResult,
    *,
    name: str,
    engine: list[str] | None = None,
    options: Options = _BASELINE,
) -> Page:
    """The explorer page of a map analysed at baseline (``res`` was checked
    without a scenario: the page draws the baseline and applies scenarios
    itself).

    ``options.scenario`` and ``options.objections`` are the state the page
    opens in when its URL has no fragment (a notebook result's scenario, for
    instance).
    """
    data = model(res, options)
    # The drawing is the baseline: the page applies any scenario itself.
    baseline = options.replace(scenario={}, objections=False)
    dot = render.to_dot(res, name=name, options=baseline)
    data["title"] = name
    data["initial"] = {
        "set": {k: v for k, v in options.scenario.items() if k in data["names"]},
        "objections": options.objections,
    }
    script = asset("engine.js") + "\n" + asset("explorer.js")
    style = asset("explorer.css")
    # Inlined as they are (their CSP hashes are of these exact texts).
    assert "</script" not in script.lower() and "</style" not in style.lower()
    digest = hashlib.sha256(
        "\n".join([PAGE_VERSION, dot, _json_for_html(data), script, style]).encode()
    ).hexdigest()
    svg = render.produce(dot, "svg", engine or render.find_graphviz())
    data["svg"] = _svg_body(svg)
    csp = (
        "default-src 'none'; "
        f"script-src {_csp_hash(script)}; "
        f"style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    title = html.escape(f"{name} · cruxmap explorer", quote=True)
    page = _TEMPLATE.format(
        csp=csp,
        digest=digest,
        title=title,
        heading=html.escape(name),
        style=style,
        data=_json_for_html(data),
        script=script,
    )
    return Page(page, digest)


def embedded_digest(text: str) -> str | None:
    m = _DIGEST_RE.search(text[:4096])
    return m.group(1) if m else None


def iframe(page: Page, height: int = 640) -> str:
    """The page inside a sandboxed ``<iframe srcdoc>``, for notebook output:
    its own document, so its CSP applies and its script cannot reach the
    notebook."""
    doc = html.escape(page.html, quote=True)
    return (
        f'<iframe sandbox="allow-scripts" srcdoc="{doc}" '
        f'style="width:100%;height:{height}px;border:1px solid #ccc" '
        'title="cruxmap explorer"></iframe>'
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="cruxmap-source" content="sha256:{digest}">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header id="bar">
  <h1>{heading}</h1>
  <label class="search">Search <input id="search" type="search" placeholder="ID or text  ( / )" autocomplete="off" aria-controls="results"></label>
  <label class="toggle"><input id="objections" type="checkbox"> apply standing objections</label>
  <button id="reset" type="button" title="clear the scenario (r)">Reset</button>
  <span class="zoom" role="group" aria-label="zoom">
    <button id="zoom-out" type="button" title="zoom out (-)">&minus;</button>
    <button id="zoom-fit" type="button" title="fit to window (0)">fit</button>
    <button id="zoom-in" type="button" title="zoom in (+)">+</button>
  </span>
</header>
<ul id="results" hidden></ul>
<main>
  <div id="map" tabindex="0" aria-label="argument map: drag to pan, wheel to zoom"><p class="cx-loading">Loading the map… (this page needs JavaScript)</p></div>
  <aside id="panel" aria-live="polite">
    <section id="scenario-box"><h2>Scenario</h2><p id="scenario"></p></section>
    <section id="claim-box" hidden><h2 id="claim-title"></h2><div id="claim"></div></section>
    <section><h2>Goals</h2><div id="goals"></div></section>
    <section class="help"><h2>Keys</h2><p>Click a claim, or Tab to it and press Enter, to set its level.
    <kbd>/</kbd> search · <kbd>+</kbd>/<kbd>&minus;</kbd> zoom · <kbd>0</kbd> fit · arrows pan ·
    <kbd>o</kbd> objections · <kbd>r</kbd> reset · <kbd>Esc</kbd> close.
    The scenario is kept in the address (<code>#set=claim:level,…</code>): copy it to share.</p></section>
  </aside>
</main>
<div id="picker" role="dialog" aria-modal="false" aria-labelledby="picker-title" hidden>
  <p id="picker-title"></p><div id="picker-levels" role="group"></div>
</div>
<script type="application/json" id="cruxmap-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""


# --------------------------------------------------------------------------- command


def plan(paths: list[str], output: str | None) -> list[tuple[Path, Path | None, Path | None]]:
    """(map file, page, trusted root) triples: a file's page goes next to it
    (``.html``) or to ``-o``; a directory gives one page per ``.crux`` file
    under it, next to each or under ``-o DIR`` (the root: nothing is written
    through a symlink below it, as for render); ``-o -`` is standard output
    (one map)."""
    from cruxmap.core.loader import discover

    if not paths:
        raise UsageProblem("name a .crux file or a directory to explore")
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageProblem(f"no such file or directory: {missing[0]}")
    single = len(paths) == 1 and not Path(paths[0]).is_dir()
    if output == "-" and not single:
        raise UsageProblem("-o - writes one page: name one file")
    out_dir = (
        Path(output) if output and output != "-" and (not single or Path(output).is_dir()) else None
    )
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise UsageProblem(f"-o {output}: several pages need a directory")
    jobs: list[tuple[Path, Path | None, Path | None]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files, _ = discover([raw])
            if not files:
                raise UsageProblem(f"no .crux files under {raw}")
            for f in files:
                rel = f.relative_to(p).with_suffix(".html")
                jobs.append((f, out_dir / rel if out_dir else f.with_suffix(".html"), out_dir))
        elif output == "-":
            jobs.append((p, None, None))
        elif out_dir is not None:
            jobs.append((p, out_dir / (p.stem + ".html"), out_dir))
        else:
            jobs.append((p, Path(output) if output else p.with_suffix(".html"), None))
    for f, out, _ in jobs:
        if out is not None and out.absolute() == f.absolute():
            raise UsageProblem(f"refusing to overwrite the map {out} itself")
    return jobs


def is_current(path: Path, page: Page) -> bool:
    """Whether the page at ``path`` shows this map with this explorer (its
    first 4 KiB only, never through a symlink: see ``files.read_head``)."""
    from cruxmap.core.files import read_head

    head = read_head(path, 4096)
    if head is None:
        return False
    return embedded_digest(head[0].decode("utf-8", "replace")) == page.digest


def run(
    paths: list[str],
    output: str | None = None,
    *,
    check: bool = False,
    graphviz: str | None = None,
    options: Options = _BASELINE,
    stdout: Any = None,
    stderr: Any = None,
    layout: Layout | None = None,
) -> int:
    """``cruxmap explore``: build every page in memory, then write them (or
    with ``check`` compare them); a map with errors writes nothing."""
    import sys

    from cruxmap.core.dependents import Projects
    from cruxmap.core.diagnostics import Diagnostic, Severity
    from cruxmap.core.files import write_atomic
    from cruxmap.core.lint import check_map
    from cruxmap.core.loader import Loader, display_path
    from cruxmap.core.session import Session
    from cruxmap.present import output as out_fmt

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    jobs = plan(paths, output)
    if check and any(o is None for _, o, _ in jobs):
        raise UsageProblem("--check compares files: -o - has none")
    loader, session = Loader(), Session()
    baseline = options.replace(scenario={}, objections=False)
    results: list[MapResult] = []
    errors: list[Diagnostic] = []
    projects = Projects(layout)
    kept = []
    for job in jobs:
        f = job[0]
        amap, diags = loader.load_map(f)
        if projects.is_library(f):
            # Explored inside the maps that import it (docs/language.md).
            print(f"{out_fmt.clean(display_path(f))}: a library (imported, no goals of its own): "
                  "no page of its own; name it in [tool.cruxmap] `roots` to explore it",
                  file=stderr if output == "-" else stdout)  # fmt: skip
            continue
        kept.append(job)
        # At baseline: the page applies the scenario and objections itself.
        res = check_map(amap, diags, baseline, session)
        results.append(res)
        if not res.analysed:
            errors.extend(d for d in res.diagnostics if d.severity is Severity.ERROR)
    jobs = kept
    if errors:
        print(out_fmt.format_text(errors), file=stderr)
        names = ", ".join(out_fmt.clean(r.amap.root) for r in results if not r.analysed)
        print(f"cruxmap: not explored, fix the errors first: {names}; nothing was written",
              file=stderr)  # fmt: skip
        return 2 if any(d.code in ("CX001", "CX005") for d in errors) else 1
    if options.scenario:
        _check_scenario(options.scenario, [r.amap for r in results])
    engine = render.find_graphviz(graphviz)
    pages = [
        build_page(res, name=f.name, engine=engine, options=options)
        for (f, _, _), res in zip(jobs, results, strict=True)
    ]  # fmt: skip
    stale = [(o, page) for (_, o, _), page in zip(jobs, pages, strict=True)
             if o is None or not is_current(o, page)]  # fmt: skip
    if check:
        for o, _ in stale:
            assert o is not None
            print(f"{out_fmt.clean(display_path(o))}: stale or missing; run `cruxmap explore` "
                  "to rebuild it", file=stdout)  # fmt: skip
        return 1 if stale else 0
    for (_, o, root), page in zip(jobs, pages, strict=True):
        data = page.html.encode("utf-8")
        if o is None:
            stream = getattr(stdout, "buffer", None)
            if stream is not None:
                stream.write(data)
                stream.flush()
            else:
                stdout.write(page.html)
            continue
        try:
            write_atomic(o, data, follow_symlinks=False, root=root)
        except OSError as exc:
            raise render.RenderError(
                f"cannot write {out_fmt.clean(display_path(o))}: {exc.strerror or exc}"
            ) from exc
        print(f"wrote {out_fmt.clean(display_path(o))}", file=stderr if output == "-" else stdout)
    return 0


def _check_scenario(scenario: Mapping[str, str], amaps: list[Any]) -> None:
    from cruxmap.core.diagnostics import did_you_mean

    for claim, level in scenario.items():
        maps = [a for a in amaps if claim in a.claims]
        if not maps:
            names = set().union(*(a.claims for a in amaps))
            guess = did_you_mean(claim, names)
            hint = f" (did you mean `{guess}`?)" if guess else ""
            raise UsageProblem(f"--set {claim}={level}: no claim `{claim}` in the maps{hint}")
        for a in maps:
            if level not in a.scale:
                guess = did_you_mean(level, set(a.scale))
                hint = f"did you mean `{guess}`?" if guess else "levels: " + " < ".join(a.scale)
                raise UsageProblem(f"--set {claim}={level}: unknown level `{level}` ({hint})")


# --------------------------------------------------------------------------- notebooks


def notebook_html(result: Any, height: int = 640) -> str | None:
    """``cruxmap.api.Result._repr_html_``: the explorer of the result's map,
    opened in the result's scenario, in a sandboxed iframe; ``None`` (no
    HTML display) when the map was not analysed."""
    from cruxmap import api

    if not result.analysed:
        return None
    opts = result.options
    base = result
    if result.scenario or opts.objections:
        # The page draws the baseline and applies the scenario itself.
        base = api.analyse(result.map, opts.replace(scenario={}, objections=False))
    page = build_page(
        base.internal,
        name=Path(result.map.root).name,
        options=opts.replace(scenario=result.scenario),
    )
    return iframe(page, height)
