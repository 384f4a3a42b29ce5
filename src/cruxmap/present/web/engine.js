/* cruxmap engine, ported to JavaScript for the explorer page (SPEC section 3).
 *
 * A deliberately small port of the Python engine: least fixed point over the
 * strongly connected components (given in topological order by Python),
 * scenarios as overrides, caps from objections, the grounded extension, and
 * the robustness numbers (margins, cut sets, uniform margin) computed
 * naively by re-evaluation, which is exact and fast enough for maps a person
 * reads. The browser tests check it against `cruxmap check --format json`
 * on random maps, claim by claim and goal by goal.
 *
 * Model (built by cruxmap/explore.py):
 *   levels: [name...]            names: [claim id...]
 *   assume: [level index...]     leaf: [bool...]
 *   routes: [{id, c: conclusion, p: [[premise, threshold]...], y: yields}]
 *   comps: [[[claim...], cyclic]...]  (premises first)
 *   goals: [[claim, required, implicit, expectFails?]...]
 *   objections: [{id, against, kind: "claim"|"route"|"objection"|"none", t, caps}]
 *   depth, maxOrder
 */
"use strict";
var CruxEngine = (function () {
  /** Work per goal's cut-set search (calls and claim evaluations) before
   *  it is reported incomplete: well under a second in a browser. */
  var CUT_SET_BUDGET = 1000000;

  function prepare(M) {
    if (M._routesTo) return M;
    var n = M.names.length;
    var routesTo = [];
    var routesFrom = [];
    for (var i = 0; i < n; i++) {
      routesTo.push([]);
      routesFrom.push([]);
    }
    M.routes.forEach(function (r, k) {
      routesTo[r.c].push(k);
      r.p.forEach(function (pt) {
        if (routesFrom[pt[0]].indexOf(k) < 0) routesFrom[pt[0]].push(k);
      });
    });
    M._routesTo = routesTo;
    M._routesFrom = routesFrom;
    M._top = M.levels.length - 1;
    M._index = Object.create(null);
    M.names.forEach(function (name, i) {
      M._index[name] = i;
    });
    M._compOf = new Array(n).fill(0);
    M.comps.forEach(function (comp, k) {
      comp[0].forEach(function (c) {
        M._compOf[c] = k;
      });
    });
    M._routeIndex = Object.create(null);
    M.routes.forEach(function (r, k) {
      M._routeIndex[r.id] = k;
    });
    return M;
  }

  /** A scenario: overrides (-1: none), caps (top: none), removed routes. */
  function scenario(M, over, caps, removed) {
    var n = M.names.length;
    var o = new Array(n).fill(-1);
    var c = new Array(n).fill(M._top);
    if (over) for (var i = 0; i < n; i++) o[i] = over[i] === undefined ? -1 : over[i];
    if (caps) for (var j = 0; j < n; j++) c[j] = caps[j];
    return { over: o, caps: c, removed: removed || Object.create(null) };
  }

  function local(M, c, values, sc) {
    var v;
    if (sc.over[c] >= 0) {
      v = sc.over[c]; // an override, whatever the routes give (SPEC, revised)
    } else if (M.leaf[c]) {
      v = M.assume[c];
    } else {
      v = 0;
      var rs = M._routesTo[c];
      for (var i = 0; i < rs.length; i++) {
        var k = rs[i];
        if (sc.removed[k]) continue;
        var r = M.routes[k];
        if (r.y <= v) continue;
        var ok = true;
        for (var j = 0; j < r.p.length; j++) {
          if (values[r.p[j][0]] < r.p[j][1]) {
            ok = false;
            break;
          }
        }
        if (ok) v = r.y;
      }
    }
    return v < sc.caps[c] ? v : sc.caps[c];
  }

  /** Least fixed point of every claim's value under a scenario. */
  function evaluate(M, sc) {
    prepare(M);
    var values = new Array(M.names.length).fill(0);
    for (var i = 0; i < M.comps.length; i++) {
      var comp = M.comps[i][0];
      if (!M.comps[i][1]) {
        values[comp[0]] = local(M, comp[0], values, sc);
        continue;
      }
      // Kleene iteration from bottom: a cycle cannot lift itself.
      var changed = true;
      while (changed) {
        changed = false;
        for (var j = 0; j < comp.length; j++) {
          var v = local(M, comp[j], values, sc);
          if (v !== values[comp[j]]) {
            values[comp[j]] = v;
            changed = true;
          }
        }
      }
    }
    return values;
  }

  /** The value of ``goal`` under ``sc`` with ``extra`` caps on top, from
   *  ``values`` (the values under ``sc``, restored before returning): only
   *  claims downstream of a capped one are recomputed, component by
   *  component in topological order, stopping at the goal's. ``work``
   *  counts the calls and claim evaluations, for the cut-set budget. */
  function goalWithCaps(M, sc, values, extra, goal, work) {
    var n = M.names.length;
    if (!M._extra) {
      M._extra = new Array(n).fill(M._top);
      M._dirty = new Uint8Array(M.comps.length);
    }
    var extraCap = M._extra;
    var dirty = M._dirty;
    var saved = [];
    var touchedComps = [];
    var first = M.comps.length;
    var keys = Object.keys(extra);
    for (var i = 0; i < keys.length; i++) {
      var c = +keys[i];
      if (extra[keys[i]] < extraCap[c]) extraCap[c] = extra[keys[i]];
      if (values[c] > extraCap[c]) {
        var k0 = M._compOf[c];
        if (!dirty[k0]) {
          dirty[k0] = 1;
          touchedComps.push(k0);
        }
        if (k0 < first) first = k0;
      }
    }
    var capped = { over: sc.over, caps: sc.caps, removed: sc.removed };
    function evalOne(m) {
      var v = local(M, m, values, capped);
      work.n += 1;
      return v < extraCap[m] ? v : extraCap[m];
    }
    var last = M._compOf[goal];
    work.n += 1;
    for (var k = first; k <= last; k++) {
      if (!dirty[k]) continue;
      var comp = M.comps[k][0];
      var j;
      var before = [];
      for (j = 0; j < comp.length; j++) before.push(values[comp[j]]);
      if (!M.comps[k][1]) {
        var v0 = evalOne(comp[0]);
        if (v0 !== values[comp[0]]) {
          saved.push(comp[0], values[comp[0]]);
          values[comp[0]] = v0;
        }
      } else {
        for (j = 0; j < comp.length; j++) {
          saved.push(comp[j], values[comp[j]]);
          values[comp[j]] = 0;
        }
        var changed = true;
        while (changed) {
          changed = false;
          for (j = 0; j < comp.length; j++) {
            var v = evalOne(comp[j]);
            if (v !== values[comp[j]]) {
              values[comp[j]] = v;
              changed = true;
            }
          }
        }
      }
      for (j = 0; j < comp.length; j++) {
        if (values[comp[j]] === before[j]) continue;
        var rs = M._routesFrom[comp[j]];
        for (var r = 0; r < rs.length; r++) {
          var kc = M._compOf[M.routes[rs[r]].c];
          if (!dirty[kc]) {
            dirty[kc] = 1;
            touchedComps.push(kc);
          }
        }
      }
    }
    var result = values[goal];
    for (var s2 = saved.length - 2; s2 >= 0; s2 -= 2) values[saved[s2]] = saved[s2 + 1];
    for (var t = 0; t < touchedComps.length; t++) dirty[touchedComps[t]] = 0;
    for (var e = 0; e < keys.length; e++) extraCap[+keys[e]] = M._top;
    return result;
  }

  /** Grounded extension of the attack graph: id -> "in" | "out" | "undecided". */
  function grounded(M) {
    var status = Object.create(null);
    var attackers = Object.create(null);
    M.objections.forEach(function (o) {
      status[o.id] = "undecided";
      attackers[o.id] = [];
    });
    M.objections.forEach(function (o) {
      if (o.kind === "objection" && attackers[o.against]) attackers[o.against].push(o.id);
    });
    var changed = true;
    while (changed) {
      changed = false;
      M.objections.forEach(function (o) {
        if (status[o.id] !== "undecided") return;
        var atts = attackers[o.id];
        if (atts.every(function (a) { return status[a] === "out"; })) {
          status[o.id] = "in";
          changed = true;
        } else if (atts.some(function (a) { return status[a] === "in"; })) {
          status[o.id] = "out";
          changed = true;
        }
      });
    }
    return status;
  }

  /** ``base`` with every standing objection applied, and their IDs. */
  function objectionsScenario(M, statuses, base) {
    var caps = base.caps.slice();
    var removed = Object.create(null);
    for (var k in base.removed) removed[k] = true;
    var standing = [];
    M.objections.forEach(function (o) {
      if (statuses[o.id] !== "in") return;
      if (o.kind === "claim") {
        if (o.caps < caps[o.t]) caps[o.t] = o.caps;
        standing.push(o.id);
      } else if (o.kind === "route") {
        removed[o.t] = true;
        standing.push(o.id);
      }
    });
    return { sc: { over: base.over, caps: caps, removed: removed }, standing: standing };
  }

  /** Claims with a path of reductions to c (all reductions; c excluded). */
  function support(M, c) {
    var seen = Object.create(null);
    var stack = [c];
    var out = [];
    while (stack.length) {
      var n = stack.pop();
      var rs = M._routesTo[n];
      for (var i = 0; i < rs.length; i++) {
        var ps = M.routes[rs[i]].p;
        for (var j = 0; j < ps.length; j++) {
          var p = ps[j][0];
          if (!seen[p]) {
            seen[p] = true;
            stack.push(p);
          }
        }
      }
    }
    for (var key in seen) if (+key !== c) out.push(+key);
    return out;
  }

  /** Python's string order: by code point. `<` compares UTF-16 code units,
   *  which puts U+20000 (a surrogate pair, 0xD840...) before U+FA0E. */
  function compareNames(x, y) {
    if (x === y) return 0;
    var n = Math.min(x.length, y.length);
    for (var i = 0; i < n; ) {
      var a = x.codePointAt(i);
      var b = y.codePointAt(i);
      if (a !== b) return a < b ? -1 : 1;
      i += a > 0xffff ? 2 : 1;
    }
    return x.length < y.length ? -1 : 1;
  }

  function byName(M) {
    return function (a, b) {
      return compareNames(M.names[a], M.names[b]);
    };
  }

  function compareSets(M) {
    return function (a, b) {
      if (a.length !== b.length) return a.length - b.length;
      for (var i = 0; i < a.length; i++) {
        var c = compareNames(M.names[a[i]], M.names[b[i]]);
        if (c !== 0) return c;
      }
      return 0;
    };
  }

  /** Robustness of one holding goal: margins, cut sets, uniform margin. */
  function robustness(M, sc, values, c, req, depth, maxOrder) {
    var work = { n: 0 };
    function holds(extra) {
      return goalWithCaps(M, sc, values, extra, c, work) >= req;
    }
    function lowered(p) {
      return Math.max(values[p] - depth, 0);
    }
    var sup = support(M, c).sort(byName(M));
    var premises = {};
    var need = {};
    sup.forEach(function (p) {
      var base = values[p];
      var t = 0;
      for (var x = 0; x <= base; x++) {
        var e = {};
        e[p] = x;
        if (holds(e)) {
          t = x;
          break;
        }
      }
      need[p] = t;
      premises[p] = t <= 0
        ? { value: base, margin: null, breaks_at: null }
        : { value: base, margin: base - t, breaks_at: t - 1 };
    });
    var found = [];
    var spf = {};
    sup.forEach(function (p) {
      if (lowered(p) < need[p]) {
        spf[p] = true;
        found.push([p]);
      }
    });
    var complete = true;
    var candidates = sup.filter(function (p) {
      return !spf[p] && lowered(p) < values[p];
    });
    var all = {};
    candidates.forEach(function (p) {
      all[p] = lowered(p);
    });
    if (maxOrder >= 2 && candidates.length >= 2 && !holds(all)) {
      var start = work.n;
      var higher = [];
      for (var k = 2; k <= maxOrder && complete; k++) {
        combinations(candidates.length, k, function (idx) {
          var set = idx.map(function (i) { return candidates[i]; });
          for (var f = 0; f < higher.length; f++) {
            if (isSubset(higher[f], set)) return true;
          }
          if (work.n - start > CUT_SET_BUDGET) {
            complete = false;
            return false;
          }
          var e = {};
          set.forEach(function (p) { e[p] = lowered(p); });
          if (!holds(e)) higher.push(set);
          return true;
        });
      }
      found = found.concat(complete ? higher : []);
    }
    var cutSets = found
      .map(function (s) { return s.slice().sort(byName(M)); })
      .sort(compareSets(M));
    // Uniform margin: every leaf of the map scaled down d steps at once.
    var deepest = 0;
    for (var q = 0; q < M.names.length; q++) {
      if (M.leaf[q] && values[q] > deepest) deepest = values[q];
    }
    var uniform = null;
    for (var d = 1; d <= deepest; d++) {
      var e2 = {};
      for (var l = 0; l < M.names.length; l++) {
        if (M.leaf[l]) e2[l] = Math.max(values[l] - d, 0);
      }
      if (!holds(e2)) {
        uniform = d - 1;
        break;
      }
    }
    return { premises: premises, cutSets: cutSets, cutSetsComplete: complete, uniformMargin: uniform };
  }

  function isSubset(small, big) {
    for (var i = 0; i < small.length; i++) if (big.indexOf(small[i]) < 0) return false;
    return true;
  }

  /** Calls visit(indices) for each k-combination of 0..n-1 in lexicographic
   *  order until visit returns false. */
  function combinations(n, k, visit) {
    if (k > n) return;
    var idx = [];
    for (var i = 0; i < k; i++) idx.push(i);
    for (;;) {
      if (!visit(idx.slice())) return;
      var j = k - 1;
      while (j >= 0 && idx[j] === n - k + j) j--;
      if (j < 0) return;
      idx[j]++;
      for (var m = j + 1; m < k; m++) idx[m] = idx[m - 1] + 1;
    }
  }

  /** The whole analysis of a map under overrides (claim index -> level
   *  index), optionally in the objections scenario, as render shows it. */
  function analyse(M, overrides, applyObjections) {
    prepare(M);
    // Passed through as given (`||` turned 0 into 1 and 3); absent: the defaults.
    var depth = M.depth == null ? 1 : M.depth;
    var maxOrder = M.maxOrder == null ? 3 : M.maxOrder;
    var base = scenario(M, overrides);
    var statuses = grounded(M);
    var obj = objectionsScenario(M, statuses, base);
    var sc = applyObjections ? obj.sc : base;
    var values = evaluate(M, sc);
    var withObjections = evaluate(M, obj.sc);
    var routeWorks = M.routes.map(function (r, k) {
      if (sc.removed[k]) return false;
      if (r.y <= 0) return false;
      return r.p.every(function (pt) { return values[pt[0]] >= pt[1]; });
    });
    var goals = M.goals.map(function (gl) {
      var c = gl[0];
      var req = gl[1];
      var res = {
        claim: c,
        required: req,
        implicit: !!gl[2],
        // `expect: fails`: the map records this goal to show it failing.
        expectFails: !!gl[3],
        value: values[c],
        holds: values[c] >= req,
        withObjections: withObjections[c],
        premises: null,
        cutSets: null,
        cutSetsComplete: null,
        uniformMargin: null,
      };
      if (res.holds) {
        var rb = robustness(M, sc, values, c, req, depth, maxOrder);
        res.premises = rb.premises;
        res.cutSets = rb.cutSets;
        res.cutSetsComplete = rb.cutSetsComplete;
        res.uniformMargin = rb.uniformMargin;
      }
      return res;
    });
    return {
      values: values,
      goals: goals,
      statuses: statuses,
      standing: obj.standing,
      removed: sc.removed,
      caps: applyObjections ? obj.sc.caps : null,
      routeWorks: routeWorks,
    };
  }

  /** The analysis as `cruxmap check --format json` reports it (names, not
   *  indices), for the tests that hold the two engines to each other. */
  function report(M, overrides, applyObjections) {
    var a = analyse(M, overrides, applyObjections);
    var L = M.levels;
    var claims = {};
    M.names.forEach(function (name, i) {
      claims[name] = L[a.values[i]];
    });
    var goals = {};
    a.goals.forEach(function (g) {
      var entry = {
        required: L[g.required],
        value: L[g.value],
        status: g.holds ? "holds" : "fails",
        with_objections: {
          level: L[g.withObjections],
          status: g.withObjections >= g.required ? "holds" : "fails",
        },
      };
      if (g.holds) {
        var prem = {};
        Object.keys(g.premises).forEach(function (p) {
          var pr = g.premises[p];
          prem[M.names[p]] = {
            value: L[pr.value],
            margin: pr.margin,
            breaks_at: pr.breaks_at === null ? null : L[pr.breaks_at],
            brittle: pr.margin === 0,
          };
        });
        entry.premises = prem;
        entry.cut_sets = g.cutSets.map(function (s) {
          return s.map(function (i) { return M.names[i]; });
        });
        entry.cut_sets_complete = g.cutSetsComplete;
        entry.uniform_margin = g.uniformMargin;
      }
      goals[M.names[g.claim]] = entry;
    });
    return { claims: claims, goals: goals, objections: a.statuses };
  }

  return {
    prepare: prepare,
    evaluate: evaluate,
    scenario: scenario,
    grounded: grounded,
    analyse: analyse,
    report: report,
    support: support,
    compareNames: compareNames,
  };
})();
