/* cruxmap explorer: the page around the drawing (cruxmap/explore.py inlines it).
 *
 * Reads the map from the JSON block, mounts render's SVG (parsed as XML),
 * and on every change of scenario re-evaluates the map with CruxEngine and
 * recolours claims, reductions, edges and goals with render's encoding:
 * colour plus border style, icon and word. Map text only ever reaches the
 * DOM through textContent or setAttribute on non-executable attributes.
 */
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("cruxmap-data").textContent);
  var M = CruxEngine.prepare(D);
  var L = D.levels;
  var N = D.names;
  var SVGNS = "http://www.w3.org/2000/svg";

  // render.py's palette and icons: every colour comes with a second channel.
  var HOLDS = ["#dcefd8", "#2e7d32"];
  var FAILS = ["#f6cfcf", "#b71c1c"];
  var EXPECTED_FAIL = ["#e6e9f0", "#455a64"];
  var BRITTLE = ["#ffe2b3", "#d35400"];
  var PLAIN = ["#ffffff", "#546e7a"];
  var NOT_REACHED = ["#eeeeee", "#9e9e9e"];
  var CHANGED = "#6a1b9a";
  var ICON_FAILS = "\u00d7";
  var ICON_BRITTLE = "\u25b2";
  var ICON_CHANGED = "\u0394";
  var DASHED = "5,2";
  var DOTTED = "1,5";
  var WRAP = 42;
  var MAX_MARGINS = 3;
  var MAX_CUT_SETS = 3;

  var state = { over: {}, objections: false, selected: null };
  var goalOf = {};
  D.goals.forEach(function (g, k) {
    goalOf[g[0]] = k;
  });

  var $ = function (id) {
    return document.getElementById(id);
  };
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function attrs(node, kv) {
    for (var k in kv) {
      if (kv[k] === null || kv[k] === undefined) node.removeAttribute(k);
      else node.setAttribute(k, kv[k]);
    }
  }
  function wrap(text, width) {
    var words = text.split(/\s+/);
    var lines = [];
    var line = "";
    words.forEach(function (w) {
      if (line && (line + " " + w).length > width) {
        lines.push(line);
        line = w;
      } else {
        line = line ? line + " " + w : w;
      }
    });
    if (line) lines.push(line);
    return lines;
  }
  function isHttp(url) {
    return typeof url === "string" && /^https?:\/\/[^\s]+$/i.test(url.trim());
  }

  // ------------------------------------------------------------------ the drawing

  var mapBox = $("map");
  var svg = null;
  var claimNodes = [];
  var routeNodes = [];
  var thresholdEdges = {}; // "p|k" -> edge
  var yieldEdges = {}; // k -> edge

  function mount() {
    var doc = new DOMParser().parseFromString(D.svg, "image/svg+xml");
    var root = doc.documentElement;
    if (!root || root.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) {
      mapBox.replaceChildren(el("p", "The drawing could not be read.", "cx-error"));
      return false;
    }
    // render.check_svg already refused these; the page does not rely on it.
    Array.prototype.slice.call(root.querySelectorAll("script,foreignObject,iframe,object,embed"))
      .forEach(function (n) { n.remove(); });
    Array.prototype.slice.call(root.querySelectorAll("*")).forEach(function (n) {
      Array.prototype.slice.call(n.attributes).forEach(function (a) {
        var name = a.name.toLowerCase();
        var href = /(^|:)href$/.test(name);
        if (name.indexOf("on") === 0 || (href && !/^(https?:|#)/i.test(a.value.trim()))) {
          n.removeAttribute(a.name);
        }
      });
    });
    svg = document.importNode(root, true);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "argument map " + D.title);
    mapBox.replaceChildren(svg);
    return true;
  }

  function byFont(texts, size, bold) {
    return texts.filter(function (t) {
      var s = parseFloat(t.getAttribute("font-size") || "0");
      var b = t.getAttribute("font-weight") === "bold";
      return Math.abs(s - size) < 0.01 && (bold === undefined || b === bold);
    });
  }

  var titleText = null;

  function indexNodes() {
    var graph = svg.querySelector("g.graph");
    if (graph) {
      titleText = Array.prototype.slice.call(graph.children).filter(function (t) {
        return t.tagName === "text" && t.textContent === "baseline";
      })[0] || null;
    }
    D.claims.forEach(function (c, i) {
      var g = document.getElementById(c.svg);
      if (!g) {
        claimNodes.push(null);
        return;
      }
      var texts = Array.prototype.slice.call(g.querySelectorAll("text"));
      var bold = byFont(texts, 10, true);
      var level = bold[1] || null;
      var right = 0;
      if (level) right = parseFloat(level.getAttribute("x")) + level.getComputedTextLength();
      var nameRight = bold[0] ? parseFloat(bold[0].getAttribute("x")) + bold[0].getComputedTextLength() : 0;
      var small = byFont(texts, 9);
      var spare = byFont(texts, 8);
      var node = {
        g: g,
        shapes: Array.prototype.slice.call(g.querySelectorAll("path, polygon")),
        level: level,
        levelRight: right,
        nameRight: nameRight,
        levelSize: level ? level.getAttribute("font-size") : "10",
        status: bold.slice(2),
        slots: small,
        spare: spare,
        spareText: spare.map(function (t) { return t.textContent; }),
        spareFill: spare.length ? spare[0].getAttribute("fill") : null,
      };
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("data-claim", String(i));
      g.classList.add("cx-claim");
      claimNodes.push(node);
    });
    D.routes.forEach(function (r) {
      var g = document.getElementById(r.svg);
      if (!g) {
        routeNodes.push(null);
        return;
      }
      var texts = Array.prototype.slice.call(g.querySelectorAll("text"));
      var yields = texts.filter(function (t) { return /^yields /.test(t.textContent); })[0];
      var stateText = texts.filter(function (t) {
        return t !== yields && t.getAttribute("font-weight") === "bold" &&
          (t.textContent === "blocked" || t.textContent === ICON_FAILS + " refuted");
      })[0];
      routeNodes.push({ g: g, shapes: Array.prototype.slice.call(g.querySelectorAll("path, polygon")),
        yields: yields, state: stateText });
    });
    Array.prototype.slice.call(svg.querySelectorAll("g.edge")).forEach(function (g) {
      var title = g.querySelector("title");
      if (!title) return;
      var parts = title.textContent.split("->");
      if (parts.length !== 2) return;
      var from = parts[0];
      var to = parts[1];
      var edge = {
        g: g,
        path: g.querySelector("path"),
        heads: Array.prototype.slice.call(g.querySelectorAll("polygon")),
        texts: Array.prototype.slice.call(g.querySelectorAll("text")),
      };
      if (from.indexOf("claim:") === 0 && to.indexOf("route:") === 0) {
        var p = M._index[from.slice(6)];
        var k = M._routeIndex[to.slice(6)];
        if (p !== undefined && k !== undefined) thresholdEdges[p + "|" + k] = edge;
      } else if (from.indexOf("route:") === 0 && to.indexOf("claim:") === 0) {
        var k2 = M._routeIndex[from.slice(6)];
        if (k2 !== undefined) yieldEdges[k2] = edge;
      }
    });
  }

  function paintShapes(shapes, fill, border, width, dash) {
    shapes.forEach(function (s, n) {
      attrs(s, {
        fill: n === 0 ? fill : s.getAttribute("fill") === "none" ? "none" : fill,
        stroke: border,
        "stroke-width": width,
        "stroke-dasharray": dash,
      });
    });
  }

  /** Write the claim's small rows (goal numbers, margins, notes) into the
   *  lines the baseline drawing has for them. When a scenario needs more,
   *  the source lines below are given up (the panel and tooltip keep the
   *  source); what still does not fit is summarised in the last line. */
  function setSlots(node, rows) {
    var slots = node.slots;
    var spare = node.spare;
    var useSpare = rows.length > slots.length && spare.length > 0;
    var lines = useSpare ? slots.concat(spare) : slots;
    spare.forEach(function (t, n) {
      t.textContent = useSpare ? "" : node.spareText[n];
      attrs(t, { fill: useSpare ? "#37474f" : node.spareFill, "font-weight": null, "font-style": null });
    });
    lines.forEach(function (t, n) {
      var row = rows[n];
      var text = row ? row.text : "";
      if (n === lines.length - 1 && rows.length > lines.length) {
        text = "+" + (rows.length - n) + " more (see the panel)";
        row = null;
      }
      t.textContent = text;
      attrs(t, {
        "font-weight": row && row.bold ? "bold" : null,
        "font-style": row && row.italic ? "italic" : null,
      });
    });
  }

  // ------------------------------------------------------------------ analysis

  var baseline = CruxEngine.analyse(M, [], false);
  var view = baseline;

  function overridesArray() {
    var arr = [];
    for (var k in state.over) arr[+k] = state.over[k];
    return arr;
  }

  function scenarioActive() {
    return Object.keys(state.over).length > 0 || state.objections;
  }

  function marginRows(i) {
    var entries = [];
    view.goals.forEach(function (g) {
      if (!g.holds || !g.premises || !g.premises[i]) return;
      var pr = g.premises[i];
      var gname = N[g.claim];
      if (pr.margin === 0) {
        entries.push([0, ICON_BRITTLE + " BRITTLE for " + gname + ": margin 0 (fails at " + L[pr.breaks_at] + ")", true]);
      } else if (pr.margin === null) {
        entries.push([3, "margin \u221e for " + gname + " (holds without it)", false]);
      } else {
        entries.push([1, "margin " + pr.margin + " for " + gname + " (fails at " + L[pr.breaks_at] + ")", false]);
      }
    });
    entries.sort(function (a, b) { return a[0] - b[0]; });
    var rows = entries.slice(0, MAX_MARGINS).map(function (e) { return { text: e[1], bold: e[2] }; });
    if (entries.length > MAX_MARGINS) rows.push({ text: "+" + (entries.length - MAX_MARGINS) + " more goals" });
    return { rows: rows, brittle: entries.some(function (e) { return e[0] === 0; }) };
  }

  function goalExtra(g) {
    var extra = [];
    extra.push(g.uniformMargin === null ? "holds with every leaf at bottom" : "uniform margin " + g.uniformMargin);
    if (g.cutSets.length) {
      var shown = g.cutSets.slice(0, MAX_CUT_SETS).map(function (s) {
        return s.map(function (c) { return N[c]; }).join(" + ");
      });
      var more = g.cutSets.length - shown.length;
      extra.push("cut sets: " + shown.join("; ") + (more > 0 ? " (+" + more + " more)" : ""));
    }
    return wrap(extra.join(" \u00b7 "), WRAP).map(function (t) { return { text: t }; });
  }

  function cappedBy(i) {
    if (!state.objections) return [];
    return M.objections.filter(function (o) {
      return view.statuses[o.id] === "in" && o.kind === "claim" && o.t === i;
    }).map(function (o) { return o.id; });
  }

  /** The level at the top right of a claim: the longest variant that fits
   *  beside the ID, else the shortest in a smaller font. */
  function fitLevel(node, variants) {
    var t = node.level;
    attrs(t, { "text-anchor": "end", x: String(node.levelRight), "font-size": node.levelSize });
    var room = node.levelRight - node.nameRight - 6;
    for (var n = 0; n < variants.length; n++) {
      t.textContent = variants[n];
      if (t.getComputedTextLength() <= room) return;
    }
    var size = parseFloat(node.levelSize) * room / Math.max(t.getComputedTextLength(), 1);
    t.setAttribute("font-size", String(Math.max(size, 5).toFixed(2)));
  }

  function paintClaim(i) {
    var node = claimNodes[i];
    if (!node) return;
    var v = view.values[i];
    var b = baseline.values[i];
    var active = scenarioActive();
    var changed = active && v !== b;
    var rows = [];
    var fill = PLAIN[0];
    var border = PLAIN[1];
    var width = "1.2";
    var dash = null;
    var cls = "plain";
    var k = goalOf[i];
    if (k !== undefined) {
      var g = view.goals[k];
      var kind = g.implicit ? "default goal" : "GOAL";
      var woFails = g.withObjections < g.required && view.standing.length > 0;
      var stale = g.expectFails && g.holds && !woFails;
      var verdict = g.holds ? (stale ? "HOLDS, expected to fail" : "HOLDS") : ICON_FAILS + " FAILS" + (g.expectFails ? " (expected)" : "");
      var status = kind + " \u2265 " + L[g.required] + ": " + verdict;
      if (active && baseline.goals[k].holds !== g.holds) {
        rows.push({ text: ICON_CHANGED + " at baseline it " + (baseline.goals[k].holds ? "held" : "failed"), bold: true });
        changed = true;
      }
      if (node.status[0]) node.status[0].textContent = status;
      if (stale) {
        fill = FAILS[0];
        border = FAILS[1];
        width = "2.5";
        cls = "holds";
        rows = rows.concat(goalExtra(g));
      } else if (g.holds) {
        fill = HOLDS[0];
        border = HOLDS[1];
        cls = "holds";
        rows = rows.concat(goalExtra(g));
      } else if (g.expectFails) {
        fill = EXPECTED_FAIL[0];
        border = EXPECTED_FAIL[1];
        cls = "fails";
      } else {
        fill = FAILS[0];
        border = FAILS[1];
        width = "2.5";
        cls = "fails";
      }
      if (!state.objections && view.standing.length) {
        var ok = g.withObjections >= g.required;
        rows.push({ text: "with standing objections: " + (ok ? "holds" : ICON_FAILS + " FAILS" + (g.expectFails ? " (expected)" : "")) + " (" + L[g.withObjections] + ")" });
      }
    }
    var margins = marginRows(i);
    rows = rows.concat(margins.rows);
    if (k === undefined && margins.brittle) {
      fill = BRITTLE[0];
      border = BRITTLE[1];
      width = "2.5";
      dash = DASHED;
      cls = "brittle";
    } else if (k === undefined && v === 0 && !M.leaf[i]) {
      fill = NOT_REACHED[0];
      border = NOT_REACHED[1];
      dash = DOTTED;
      cls = "not-reached";
    }
    if (state.over[i] !== undefined) rows.push({ text: "set to " + L[state.over[i]] + " by the scenario", italic: true });
    cappedBy(i).forEach(function (o) {
      rows.push({ text: "capped by objection " + o, italic: true });
    });
    if (changed) {
      border = CHANGED;
      width = "3";
    }
    paintShapes(node.shapes, fill, border, width, dash);
    if (node.level) fitLevel(node, changed && v !== b ? [ICON_CHANGED + " " + L[v] + " (was " + L[b] + ")", ICON_CHANGED + " " + L[v]] : [L[v]]);
    setSlots(node, rows);
    node.g.setAttribute("data-status", cls + (changed ? " changed" : ""));
    node.g.setAttribute("data-level", L[v]);
    node.g.setAttribute("aria-label", "claim " + N[i] + ", level " + L[v] +
      (k !== undefined ? ", goal " + (view.goals[k].holds ? "holds" : "fails") : "") +
      (cls === "brittle" ? ", brittle" : "") + (changed ? ", changed by the scenario" : ""));
  }

  function paintRoute(k) {
    var node = routeNodes[k];
    var r = M.routes[k];
    var refuted = !!view.removed[k];
    var works = view.routeWorks[k];
    var word = refuted ? ICON_FAILS + " refuted" : works ? "" : "blocked";
    if (node) {
      if (refuted) paintShapes(node.shapes, FAILS[0], FAILS[1], "1.2", DOTTED);
      else if (works) paintShapes(node.shapes, "#ffffff", HOLDS[1], "1.5", null);
      else paintShapes(node.shapes, NOT_REACHED[0], NOT_REACHED[1], "1.2", DASHED);
      if (node.state) node.state.textContent = word;
      else if (node.yields) node.yields.textContent = "yields " + L[r.y] + (word ? " \u00b7 " + word : "");
      node.g.setAttribute("data-status", refuted ? "refuted" : works ? "works" : "blocked");
    }
    r.p.forEach(function (pt) {
      var e = thresholdEdges[pt[0] + "|" + k];
      if (!e) return;
      var met = view.values[pt[0]] >= pt[1];
      attrs(e.path, met
        ? { stroke: HOLDS[1], "stroke-dasharray": null }
        : { stroke: FAILS[1], "stroke-dasharray": DASHED });
      var t0 = e.texts[0];
      if (!t0) return;
      t0.textContent = "\u2265 " + L[pt[1]] + (met ? "" : " " + ICON_FAILS);
      attrs(t0, { fill: met ? null : FAILS[1], "font-weight": met ? null : "bold" });
      if (!e.texts[1]) {
        var t1 = t0.cloneNode(false);
        t1.setAttribute("y", String(parseFloat(t0.getAttribute("y")) + 8));
        t0.parentNode.appendChild(t1);
        e.texts.push(t1);
      }
      e.texts[1].textContent = met ? "" : "(is " + L[view.values[pt[0]]] + ")";
      attrs(e.texts[1], { fill: FAILS[1], "font-weight": null });
      e.g.setAttribute("data-status", met ? "met" : "unmet");
    });
    var y = yieldEdges[k];
    if (y) {
      var on = works && !refuted;
      attrs(y.path, on
        ? { stroke: HOLDS[1], "stroke-width": "2", "stroke-dasharray": null }
        : { stroke: NOT_REACHED[1], "stroke-width": "1.2", "stroke-dasharray": DASHED });
      y.heads.forEach(function (h) {
        attrs(h, { stroke: on ? HOLDS[1] : NOT_REACHED[1], fill: on ? HOLDS[1] : NOT_REACHED[1] });
      });
      y.g.setAttribute("data-status", on ? "works" : "blocked");
    }
  }

  function update(writeHash) {
    view = CruxEngine.analyse(M, overridesArray(), state.objections);
    if (!scenarioActive()) {
      // Where the page's search gave up at baseline, cruxmap's own list.
      view.goals.forEach(function (g, k) {
        var known = (D.baselineCutSets || [])[k];
        if (g.holds && !g.cutSetsComplete && known) {
          g.cutSets = known;
          g.cutSetsComplete = true;
          g.cutSetsFromCheck = true;
        }
      });
    }
    for (var i = 0; i < N.length; i++) paintClaim(i);
    for (var k = 0; k < M.routes.length; k++) paintRoute(k);
    $("objections").checked = state.objections;
    if (titleText) {
      var parts = Object.keys(state.over).map(function (i) { return N[i] + " = " + L[state.over[i]]; });
      var title = parts.length ? "scenario: " + parts.join(", ") : "baseline";
      if (state.objections) title = (parts.length ? title + "; " : "") + "standing objections applied";
      titleText.textContent = title;
    }
    renderScenario();
    renderGoals();
    renderClaim();
    if (writeHash !== false) writeFragment();
    document.body.setAttribute("data-ready", "1");
  }

  // ------------------------------------------------------------------ URL fragment

  function fragment() {
    var parts = [];
    Object.keys(state.over).map(Number).sort(function (a, b) { return a - b; }).forEach(function (i) {
      parts.push(N[i] + ":" + L[state.over[i]]);
    });
    var out = [];
    if (parts.length) out.push("set=" + parts.join(","));
    if (state.objections) out.push("objections=1");
    return out.join("&");
  }

  var fragmentProblems = [];

  function readFragment(hash) {
    var over = {};
    var objections = false;
    fragmentProblems = [];
    (hash || "").replace(/^#/, "").split("&").forEach(function (kv) {
      if (!kv) return;
      var eq = kv.indexOf("=");
      var key = eq < 0 ? kv : kv.slice(0, eq);
      var value = eq < 0 ? "" : kv.slice(eq + 1);
      try {
        value = decodeURIComponent(value);
      } catch (err) {
        fragmentProblems.push("unreadable fragment");
        return;
      }
      if (key === "objections") {
        objections = value !== "0" && value !== "off";
      } else if (key === "set") {
        value.split(",").forEach(function (item) {
          if (!item) return;
          var colon = item.lastIndexOf(":");
          var claim = colon < 0 ? item : item.slice(0, colon);
          var level = colon < 0 ? "" : item.slice(colon + 1);
          var c = M._index[claim];
          var lv = L.indexOf(level);
          if (c === undefined || lv < 0) fragmentProblems.push(item);
          else over[c] = lv;
        });
      }
    });
    state.over = over;
    state.objections = objections;
  }

  function writeFragment() {
    var frag = fragment();
    var target = frag ? "#" + frag : location.pathname + location.search;
    try {
      if (("#" + frag) !== location.hash && !(frag === "" && location.hash === "")) {
        history.replaceState(null, "", target);
      }
    } catch (err) {
      // A sandboxed frame (notebook output) may not change its address.
    }
  }

  // ------------------------------------------------------------------ side panel

  function statusWord(holds) {
    return holds ? "HOLDS" : ICON_FAILS + " FAILS";
  }

  function claimButton(i) {
    var b = el("button", N[i], "cx-link");
    b.type = "button";
    b.addEventListener("click", function () {
      select(i, true);
    });
    return b;
  }

  function renderScenario() {
    var box = $("scenario");
    box.replaceChildren();
    var keys = Object.keys(state.over).map(Number);
    if (!keys.length && !state.objections) box.appendChild(el("span", "baseline (nothing set)"));
    keys.forEach(function (i) {
      var chip = el("span", null, "cx-chip");
      chip.appendChild(el("span", N[i] + " = " + L[state.over[i]]));
      var x = el("button", ICON_FAILS);
      x.type = "button";
      x.title = "remove " + N[i] + " from the scenario";
      x.setAttribute("aria-label", "remove " + N[i] + " from the scenario");
      x.addEventListener("click", function () {
        delete state.over[i];
        update();
      });
      chip.appendChild(x);
      box.appendChild(chip);
    });
    if (state.objections) box.appendChild(el("span", "standing objections applied: " + (view.standing.join(", ") || "none"), "cx-chip"));
    if (fragmentProblems.length) {
      box.appendChild(el("p", "ignored from the address (no such claim or level): " + fragmentProblems.join(", "), "cx-warn"));
    }
  }

  function renderGoals() {
    var box = $("goals");
    box.replaceChildren();
    if (!view.goals.length) box.appendChild(el("p", "This map has no goals."));
    view.goals.forEach(function (g, k) {
      var div = el("div", null, "cx-goal " + (g.holds ? "cx-holds" : "cx-fails"));
      div.setAttribute("data-goal", N[g.claim]);
      var head = el("p");
      head.appendChild(claimButton(g.claim));
      head.appendChild(el("span", " \u2265 " + L[g.required] + ": "));
      head.appendChild(el("strong", statusWord(g.holds), "cx-status"));
      if (g.expectFails) {
        var woFails = g.withObjections < g.required && view.standing.length > 0;
        head.appendChild(el("span", !g.holds ? " (as expected)" : woFails ? " (fails with objections, as expected)" : " (expected to fail: the critique went stale)", "cx-expected"));
      }
      head.appendChild(el("span", " (" + L[g.value] + ")"));
      if (scenarioActive() && baseline.goals[k].holds !== g.holds) {
        head.appendChild(el("span", " " + ICON_CHANGED + " " + (baseline.goals[k].holds ? "held" : "failed") + " at baseline", "cx-changed"));
      }
      div.appendChild(head);
      if (g.holds) {
        div.appendChild(el("p", g.uniformMargin === null ? "uniform margin: \u221e (holds with every leaf at bottom)" : "uniform margin: " + g.uniformMargin));
        var cs = g.cutSets.map(function (s) {
          return s.map(function (c) { return N[c]; }).join(" + ");
        });
        div.appendChild(el("p", "cut sets (depth " + M.depth + "): " + (cs.length ? cs.join("; ") : "none") + (g.cutSetsComplete ? "" : " (the page's search stopped: incomplete)") + (g.cutSetsFromCheck ? " (as computed by cruxmap check)" : "")));
        var brittle = Object.keys(g.premises).filter(function (p) { return g.premises[p].margin === 0; })
          .map(function (p) { return N[p]; });
        if (brittle.length) div.appendChild(el("p", ICON_BRITTLE + " brittle: " + brittle.join(", "), "cx-brittle"));
      }
      if (!state.objections && view.standing.length) {
        var ok = g.withObjections >= g.required;
        div.appendChild(el("p", "with standing objections: " + (ok ? "holds" : ICON_FAILS + " FAILS" + (g.expectFails ? " (expected)" : "")) + " (" + L[g.withObjections] + ")"));
      }
      box.appendChild(div);
    });
  }

  function renderClaim() {
    var box = $("claim");
    var i = state.selected;
    $("claim-box").hidden = i === null;
    box.replaceChildren();
    if (i === null) return;
    var c = D.claims[i];
    $("claim-title").textContent = c.id;
    var v = view.values[i];
    var line = "level " + L[v];
    if (v !== baseline.values[i]) line += " (" + ICON_CHANGED + " baseline " + L[baseline.values[i]] + ")";
    if (state.over[i] !== undefined) line += ", set by the scenario";
    else if (c.leaf) line += ", assumed";
    box.appendChild(el("p", line, "cx-level"));
    var set = el("button", "Set level\u2026");
    set.type = "button";
    set.addEventListener("click", function () {
      openPicker(i);
    });
    box.appendChild(set);
    box.appendChild(el("p", c.text, "cx-text"));
    if (c.source) {
      var src = el("p", "source: ");
      if (c.url && isHttp(c.source)) {
        var a = el("a", c.source);
        a.href = c.source.trim();
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        src.appendChild(a);
      } else {
        src.appendChild(el("span", c.source));
      }
      box.appendChild(src);
    }
    if (c.note) box.appendChild(el("p", "note: " + c.note, "cx-note"));
    box.appendChild(el("p", c.where, "cx-where"));
    var ul = el("ul", null, "cx-margins");
    view.goals.forEach(function (g) {
      if (!g.premises || !g.premises[i]) return;
      var pr = g.premises[i];
      var text = pr.margin === 0
        ? ICON_BRITTLE + " BRITTLE for " + N[g.claim] + ": margin 0 (fails at " + L[pr.breaks_at] + ")"
        : pr.margin === null
          ? "margin \u221e for " + N[g.claim] + " (holds without it)"
          : "margin " + pr.margin + " for " + N[g.claim] + " (fails at " + L[pr.breaks_at] + ")";
      ul.appendChild(el("li", text, pr.margin === 0 ? "cx-brittle" : ""));
    });
    view.goals.forEach(function (g) {
      if (g.holds || M.goals.length === 0) return;
      if (CruxEngine.support(M, g.claim).indexOf(i) >= 0) {
        ul.appendChild(el("li", "no margin for " + N[g.claim] + ": that goal fails"));
      }
    });
    if (ul.childNodes.length) {
      box.appendChild(el("p", "margins per goal:"));
      box.appendChild(ul);
    }
    // Its routes, as the drawing shows them, in words.
    var routes = el("ul", null, "cx-margins");
    M._routesTo[i].forEach(function (k) {
      var r = M.routes[k];
      var word = view.removed[k] ? ICON_FAILS + " refuted" : view.routeWorks[k] ? "works" : "blocked";
      var prem = r.p.map(function (pt) {
        var met = view.values[pt[0]] >= pt[1];
        return N[pt[0]] + " \u2265 " + L[pt[1]] + (met ? "" : " " + ICON_FAILS + " (is " + L[view.values[pt[0]]] + ")");
      });
      routes.appendChild(el("li", r.id + ": yields " + L[r.y] + " from " + prem.join(", ") + " \u2014 " + word));
    });
    if (routes.childNodes.length) {
      box.appendChild(el("p", state.over[i] !== undefined ? "reductions to it (not counted: the scenario sets it):" : "reductions to it:"));
      box.appendChild(routes);
    }
    var uses = M._routesFrom[i].map(function (k) { return M.routes[k].id + " (for " + N[M.routes[k].c] + ")"; });
    if (uses.length) box.appendChild(el("p", "premise of: " + uses.join(", "), "cx-where"));
  }

  // ------------------------------------------------------------------ selection and picker

  function select(i, center) {
    state.selected = i;
    claimNodes.forEach(function (n, j) {
      if (n) n.g.classList.toggle("cx-selected", j === i);
    });
    renderClaim();
    if (center && claimNodes[i]) centerOn(claimNodes[i].g);
  }

  var pickerFor = null;

  function openPicker(i) {
    select(i, false);
    pickerFor = i;
    var picker = $("picker");
    $("picker-title").textContent = "Set " + N[i] + " (now " + L[view.values[i]] + ", baseline " + L[baseline.values[i]] + ")";
    var box = $("picker-levels");
    box.replaceChildren();
    var focus = null;
    L.forEach(function (name, lv) {
      var b = el("button", name);
      b.type = "button";
      b.setAttribute("data-level", name);
      if (lv === view.values[i]) {
        b.classList.add("cx-current");
        b.setAttribute("aria-pressed", "true");
        focus = b;
      }
      if (lv === baseline.values[i]) b.title = "baseline";
      b.addEventListener("click", function () {
        state.over[i] = lv;
        closePicker();
        update();
      });
      box.appendChild(b);
    });
    var clear = el("button", "as the map says");
    clear.type = "button";
    clear.setAttribute("data-level", "");
    clear.disabled = state.over[i] === undefined;
    clear.addEventListener("click", function () {
      delete state.over[i];
      closePicker();
      update();
    });
    box.appendChild(clear);
    picker.hidden = false;
    var node = claimNodes[i];
    var rect = node ? node.g.getBoundingClientRect() : mapBox.getBoundingClientRect();
    var left = Math.max(8, Math.min(rect.left, window.innerWidth - picker.offsetWidth - 8));
    var top = rect.bottom + 6;
    if (top + picker.offsetHeight > window.innerHeight - 8) top = Math.max(8, rect.top - picker.offsetHeight - 6);
    picker.style.left = left + "px";
    picker.style.top = top + "px";
    (focus || box.firstChild).focus();
  }

  function closePicker() {
    if ($("picker").hidden) return;
    $("picker").hidden = true;
    var node = pickerFor !== null ? claimNodes[pickerFor] : null;
    pickerFor = null;
    if (node) node.g.focus();
  }

  // ------------------------------------------------------------------ zoom and pan

  var full = null; // the drawing's own viewBox
  var vb = null;

  function setViewBox() {
    svg.setAttribute("viewBox", [vb.x, vb.y, vb.w, vb.h].join(" "));
  }

  function fit() {
    var r = mapBox.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) {
      // Not laid out (a hidden or collapsed frame): the drawing as it is.
      vb = { x: full.x, y: full.y, w: full.w, h: full.h };
      setViewBox();
      return;
    }
    var aspect = r.width / r.height;
    var w = full.w;
    var h = full.h;
    if (w / h < aspect) w = h * aspect;
    else h = w / aspect;
    vb = { x: full.x - (w - full.w) / 2, y: full.y - (h - full.h) / 2, w: w, h: h };
    setViewBox();
  }

  function zoom(factor, cx, cy) {
    var r = mapBox.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return;
    var px = cx === undefined ? 0.5 : (cx - r.left) / r.width;
    var py = cy === undefined ? 0.5 : (cy - r.top) / r.height;
    var w = Math.min(Math.max(vb.w / factor, full.w / 50), full.w * 4);
    var h = w * (vb.h / vb.w);
    vb = { x: vb.x + (vb.w - w) * px, y: vb.y + (vb.h - h) * py, w: w, h: h };
    setViewBox();
  }

  function pan(dx, dy) {
    vb.x += dx * vb.w;
    vb.y += dy * vb.h;
    setViewBox();
  }

  function centerOn(g) {
    var r = mapBox.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return;
    var b = g.getBoundingClientRect();
    var cx = (b.left + b.width / 2 - r.left) / r.width;
    var cy = (b.top + b.height / 2 - r.top) / r.height;
    if (cx < 0.1 || cx > 0.9 || cy < 0.1 || cy > 0.9) {
      vb.x += (cx - 0.5) * vb.w;
      vb.y += (cy - 0.5) * vb.h;
      setViewBox();
    }
  }

  function wireZoom() {
    var parts = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
    full = { x: parts[0], y: parts[1], w: parts[2], h: parts[3] };
    fit();
    window.addEventListener("resize", fit);
    mapBox.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      zoom(ev.deltaY < 0 ? 1.2 : 1 / 1.2, ev.clientX, ev.clientY);
    }, { passive: false });
    var drag = null;
    mapBox.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, moved: false };
    });
    window.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      var dx = ev.clientX - drag.x;
      var dy = ev.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      drag.moved = true;
      mapBox.classList.add("dragging");
      var r = mapBox.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) return;
      vb.x -= (dx * vb.w) / r.width;
      vb.y -= (dy * vb.h) / r.height;
      drag.x = ev.clientX;
      drag.y = ev.clientY;
      setViewBox();
    });
    window.addEventListener("pointerup", function () {
      if (drag && drag.moved) {
        // Swallow the click that ends a drag.
        window.addEventListener("click", function stop(e) {
          e.stopPropagation();
          e.preventDefault();
          window.removeEventListener("click", stop, true);
        }, true);
        setTimeout(function () { mapBox.classList.remove("dragging"); }, 0);
      }
      drag = null;
    });
    $("zoom-in").addEventListener("click", function () { zoom(1.25); });
    $("zoom-out").addEventListener("click", function () { zoom(1 / 1.25); });
    $("zoom-fit").addEventListener("click", fit);
  }

  // ------------------------------------------------------------------ search

  var hits = [];

  function search(q) {
    var results = $("results");
    results.replaceChildren();
    hits = [];
    claimNodes.forEach(function (n) { if (n) n.g.classList.remove("cx-hit"); });
    q = q.trim().toLowerCase();
    if (!q) {
      results.hidden = true;
      return;
    }
    D.claims.forEach(function (c, i) {
      if (c.id.toLowerCase().indexOf(q) >= 0 || c.text.toLowerCase().indexOf(q) >= 0) hits.push(i);
    });
    hits.forEach(function (i) {
      if (claimNodes[i]) claimNodes[i].g.classList.add("cx-hit");
    });
    hits.slice(0, 20).forEach(function (i) {
      var li = el("li");
      var b = el("button", null, "cx-result");
      b.type = "button";
      b.appendChild(el("strong", N[i]));
      b.appendChild(el("span", " " + D.claims[i].text));
      b.addEventListener("click", function () {
        select(i, true);
        if (claimNodes[i]) claimNodes[i].g.focus();
      });
      li.appendChild(b);
      results.appendChild(li);
    });
    if (!hits.length) results.appendChild(el("li", "no claim matches"));
    results.hidden = false;
  }

  // ------------------------------------------------------------------ events

  function claimOf(target) {
    var g = target && target.closest ? target.closest("[data-claim]") : null;
    return g ? +g.getAttribute("data-claim") : null;
  }

  function wire() {
    mapBox.addEventListener("click", function (ev) {
      var i = claimOf(ev.target);
      if (i === null) return;
      ev.preventDefault(); // a claim with an http(s) source is a link in the SVG
      openPicker(i);
    });
    mapBox.addEventListener("keydown", function (ev) {
      var i = claimOf(ev.target);
      if (i !== null && (ev.key === "Enter" || ev.key === " ")) {
        ev.preventDefault();
        openPicker(i);
      }
    });
    mapBox.addEventListener("focusin", function (ev) {
      var i = claimOf(ev.target);
      if (i !== null) select(i, true);
    });
    $("objections").addEventListener("change", function (ev) {
      state.objections = ev.target.checked;
      update();
    });
    $("reset").addEventListener("click", function () {
      state.over = {};
      state.objections = false;
      fragmentProblems = [];
      update();
    });
    var input = $("search");
    input.addEventListener("input", function () { search(input.value); });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && hits.length) {
        select(hits[0], true);
        if (claimNodes[hits[0]]) claimNodes[hits[0]].g.focus();
      } else if (ev.key === "Escape") {
        input.value = "";
        search("");
      }
    });
    window.addEventListener("hashchange", function () {
      readFragment(location.hash);
      update(false);
    });
    document.addEventListener("keydown", function (ev) {
      var tag = ev.target && ev.target.tagName;
      if (ev.key === "Escape") {
        closePicker();
        return;
      }
      if (tag === "INPUT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      var handled = true;
      if (ev.key === "/") input.focus();
      else if (ev.key === "+" || ev.key === "=") zoom(1.25);
      else if (ev.key === "-") zoom(1 / 1.25);
      else if (ev.key === "0") fit();
      else if (ev.key === "r") $("reset").click();
      else if (ev.key === "o") $("objections").click();
      else if (ev.key === "ArrowLeft" && !$("picker").contains(ev.target)) pan(-0.1, 0);
      else if (ev.key === "ArrowRight" && !$("picker").contains(ev.target)) pan(0.1, 0);
      else if (ev.key === "ArrowUp" && !$("picker").contains(ev.target)) pan(0, -0.1);
      else if (ev.key === "ArrowDown" && !$("picker").contains(ev.target)) pan(0, 0.1);
      else if ((ev.key === "ArrowLeft" || ev.key === "ArrowRight") && $("picker").contains(ev.target)) {
        var buttons = Array.prototype.slice.call($("picker-levels").querySelectorAll("button:not([disabled])"));
        var at = buttons.indexOf(ev.target);
        var next = buttons[(at + (ev.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
        if (next) next.focus();
      } else handled = false;
      if (handled) ev.preventDefault();
    });
    document.addEventListener("click", function (ev) {
      var picker = $("picker");
      if (!picker.hidden && !picker.contains(ev.target) && claimOf(ev.target) === null) closePicker();
    });
  }

  // ------------------------------------------------------------------ start

  if (mount()) {
    indexNodes();
    wireZoom();
    wire();
    if (location.hash) {
      readFragment(location.hash);
    } else {
      var init = D.initial || {};
      Object.keys(init.set || {}).forEach(function (claim) {
        var c = M._index[claim];
        var lv = L.indexOf(init.set[claim]);
        if (c !== undefined && lv >= 0) state.over[c] = lv;
      });
      state.objections = !!init.objections;
    }
    update(!!location.hash || scenarioActive());
  }

  // For tests and the curious: the page's own evaluation, as check reports it.
  window.cruxmapExplorer = {
    report: function (overrides, objections) {
      var arr = [];
      Object.keys(overrides || {}).forEach(function (claim) {
        arr[M._index[claim]] = L.indexOf(overrides[claim]);
      });
      return CruxEngine.report(M, arr, !!objections);
    },
    fragment: fragment,
  };
})();
