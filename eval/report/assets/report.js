/* mteval report: sortable leaderboard, paginated segment browser, flag list. Data is untrusted text: it is put
   into the page with textContent / createTextNode only. The filter state lives in the URL hash (shareable). */
(function () {
  "use strict";
  var t0 = performance.now();
  var DATA = JSON.parse(document.getElementById("mteval-data").textContent);
  var PAGE = 20, FLAG_PAGE = 50;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /* ---- leaderboard sorting ---- */
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var ths = Array.prototype.slice.call(table.tHead.rows[0].cells);
    ths.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var num = th.dataset.type === "num";
        var dir = th.classList.contains("sorted-desc") ? "asc" : th.classList.contains("sorted-asc") ? "desc"
          : (num && col > 0 && th.dataset.higher !== "false") ? "desc" : "asc";
        ths.forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add("sorted-" + dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value, c;
          if (num) {
            x = x === "" ? -Infinity : parseFloat(x); y = y === "" ? -Infinity : parseFloat(y);
            c = x < y ? -1 : x > y ? 1 : 0;
          } else { c = x.localeCompare(y); }
          return dir === "asc" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  /* ---- per-corpus indexes ---- */
  var T = DATA.text;
  function texts(ids) { return ids.map(function (i) { return T[i]; }); }
  DATA.corpora.forEach(function (C) {
    C.src = texts(C.src);
    C.refs = C.refs.map(texts);
    C.systems.forEach(function (s) { C.hyps[s] = texts(C.hyps[s]); });
    C.flags.forEach(function (f) { f[6] = T[f[6]]; });
    C.n = C.src.length;
    C.fl = C.systems.map(function () { return {}; });
    C.flags.forEach(function (f) { (C.fl[f[0]][f[1]] = C.fl[f[0]][f[1]] || []).push(f); });
  });

  var state;
  function defaults(corpus) {
    var C = DATA.corpora[corpus];
    return { corpus: corpus, systems: C.systems.slice(), kind: "", sev: "", conf: "", metric: C.metrics.length ? C.metrics[0].name : "",
             min: "", max: "", sort: "index", id: "", diff: false, page: 1, fpage: 1, focus: null };
  }

  function readHash() {
    var h = location.hash.replace(/^#/, "");
    var p = new URLSearchParams(h.indexOf("=") >= 0 ? h : "");
    var corpus = 0;
    DATA.corpora.forEach(function (C, i) { if (C.name === p.get("corpus")) corpus = i; });
    var s = defaults(corpus), C = DATA.corpora[corpus];
    var sys = p.getAll("sys").filter(function (x) { return C.systems.indexOf(x) >= 0; });
    if (sys.length) s.systems = sys;
    ["kind", "sev", "conf", "metric", "min", "max", "sort", "id"].forEach(function (k) { if (p.has(k)) s[k] = p.get(k); });
    if (s.conf !== "" && !(parseFloat(s.conf) >= 0)) s.conf = "";
    if (!C.metrics.some(function (m) { return m.name === s.metric; })) s.metric = C.metrics.length ? C.metrics[0].name : "";
    if (["index", "worst", "best"].indexOf(s.sort) < 0) s.sort = "index";
    if (["", "major", "minor"].indexOf(s.sev) < 0) s.sev = "";
    s.diff = p.get("diff") === "1";
    s.page = Math.max(1, parseInt(p.get("page") || "1", 10) || 1);
    s.fpage = Math.max(1, parseInt(p.get("fpage") || "1", 10) || 1);
    if (p.has("focus")) { var f = parseInt(p.get("focus"), 10); if (f >= 0 && f < C.n) s.focus = f; }
    return s;
  }

  function hashOf(s) {
    var C = DATA.corpora[s.corpus], p = new URLSearchParams();
    p.set("corpus", C.name);
    if (s.systems.length !== C.systems.length) s.systems.forEach(function (x) { p.append("sys", x); });
    ["kind", "sev", "conf", "min", "max", "id"].forEach(function (k) { if (s[k] !== "") p.set(k, s[k]); });
    if (C.metrics.length && s.metric !== C.metrics[0].name) p.set("metric", s.metric);
    if (s.sort !== "index") p.set("sort", s.sort);
    if (s.diff) p.set("diff", "1");
    if (s.page > 1) p.set("page", s.page);
    if (s.fpage > 1) p.set("fpage", s.fpage);
    if (s.focus !== null) p.set("focus", s.focus);
    return "#" + p.toString();
  }

  function sevName(f) { return f[4] ? "major" : "minor"; }

  function confident(f) { return state.conf === "" || f[7] >= parseFloat(state.conf); }

  function flagMatches(C, f) {
    return (state.kind === "" || state.kind === "*" || C.kinds[f[5]] === state.kind) &&
           (state.sev === "" || sevName(f) === state.sev) && confident(f);
  }

  function selectedIdx(C) {
    return state.systems.map(function (s) { return C.systems.indexOf(s); }).filter(function (i) { return i >= 0; });
  }

  function meanScore(C, sys, i) {
    var sum = 0, n = 0;
    sys.forEach(function (s) { var v = C.scores[C.systems[s]][state.metric]; v = v && v[i]; if (v !== null && v !== undefined) { sum += v; n++; } });
    return n ? sum / n : null;
  }

  function matchingSegments(C, sys) {
    var lo = state.min === "" ? -Infinity : parseFloat(state.min), hi = state.max === "" ? Infinity : parseFloat(state.max);
    var byScore = state.metric && (lo !== -Infinity || hi !== Infinity);
    var byFlag = state.kind !== "" || state.sev !== "" || state.conf !== "";
    var out = [];
    for (var i = 0; i < C.n; i++) {
      if (state.id !== "" && C.ids[i] !== state.id) continue;
      if (byFlag && !sys.some(function (s) { return (C.fl[s][i] || []).some(function (f) { return flagMatches(C, f); }); })) continue;
      if (byScore && !sys.some(function (s) {
        var v = C.scores[C.systems[s]][state.metric][i]; return v !== null && v >= lo && v <= hi; })) continue;
      out.push(i);
    }
    if (state.sort !== "index" && state.metric) {
      var m = C.metrics.filter(function (x) { return x.name === state.metric; })[0];
      var sign = (m && m.higher ? 1 : -1) * (state.sort === "worst" ? 1 : -1);
      var key = {};
      out.forEach(function (i) { key[i] = meanScore(C, sys, i); });
      out.sort(function (a, b) {
        var x = key[a], y = key[b];
        if (x === null || y === null) return (x === null) - (y === null) || a - b;
        return sign * (x - y) || a - b;
      });
    }
    return out;
  }

  /* Flag offsets are Python character (code point) indices: slice an array of code points, not UTF-16 units. */
  function highlighted(text, flags, C) {
    var div = el("div", "text");
    var chars = Array.from(text);
    if (!flags.length) { div.textContent = text; return div; }
    var cuts = [0, chars.length];
    flags.forEach(function (f) { cuts.push(f[2], f[3]); });
    cuts = cuts.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
    for (var k = 0; k + 1 < cuts.length; k++) {
      var a = cuts[k], b = cuts[k + 1], piece = chars.slice(a, b).join("");
      var cover = flags.filter(function (f) { return f[2] <= a && f[3] >= b; });
      if (!cover.length) { div.appendChild(document.createTextNode(piece)); continue; }
      var m = el("mark", "flag " + (cover.some(function (f) { return f[4]; }) ? "major" : "minor"), piece);
      m.title = cover.map(function (f) { return sevName(f) + " · " + C.kinds[f[5]] + ": " + f[6]; }).join("\n");
      div.appendChild(m);
    }
    return div;
  }

  /* Word diff of a hypothesis against a reference (longest common subsequence of whitespace tokens). */
  function wordDiff(ref, hyp) {
    var a = ref.split(/\s+/).filter(Boolean), b = hyp.split(/\s+/).filter(Boolean);
    var n = a.length, m = b.length, L = new Array((n + 1) * (m + 1)).fill(0);
    for (var i = n - 1; i >= 0; i--) for (var j = m - 1; j >= 0; j--)
      L[i * (m + 1) + j] = a[i] === b[j] ? L[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(L[(i + 1) * (m + 1) + j], L[i * (m + 1) + j + 1]);
    var out = [], x = 0, y = 0;
    function push(op, w) { var last = out[out.length - 1]; if (last && last[0] === op) last[1] += " " + w; else out.push([op, w]); }
    while (x < n || y < m) {
      if (x < n && y < m && a[x] === b[y]) { push("=", a[x]); x++; y++; }
      else if (x < n && (y === m || L[(x + 1) * (m + 1) + y] >= L[x * (m + 1) + y + 1])) { push("-", a[x]); x++; }
      else { push("+", b[y]); y++; }
    }
    return out;
  }

  function diffNode(ref, hyp) {
    var div = el("div", "diff");
    wordDiff(ref, hyp).forEach(function (p, k) {
      if (k) div.appendChild(document.createTextNode(" "));
      div.appendChild(p[0] === "=" ? document.createTextNode(p[1]) : el(p[0] === "+" ? "ins" : "del", null, p[1]));
    });
    return div;
  }

  function row(label, text, lang) {
    var r = el("div", "row");
    r.appendChild(el("div", "label", label));
    var t = el("div", "value", text);
    if (lang) t.lang = lang;
    r.appendChild(t);
    return r;
  }

  function segmentCard(C, sys, i) {
    var sec = el("section", "seg" + (state.focus === i ? " focus" : ""));
    sec.id = "seg-" + i;
    var h = el("h4");
    var a = el("a", null, "segment " + i + " · id " + C.ids[i] + (C.docs && C.docs[i] ? " · doc " + C.docs[i] : ""));
    var fs = Object.assign({}, state, { focus: i });
    a.href = hashOf(fs);
    h.appendChild(a);
    sec.appendChild(h);
    sec.appendChild(row("source", C.src[i], C.src_lang));
    C.refs[i].forEach(function (ref, r) { sec.appendChild(row(C.refs[i].length > 1 ? "ref " + (r + 1) : "reference", ref, C.tgt_lang)); });
    var grid = el("div", "systems");
    sys.forEach(function (s) {
      var name = C.systems[s], box = el("div", "hyp");
      box.dataset.system = name;
      box.appendChild(el("span", "name", name));
      var sc = C.metrics.map(function (m) { var v = C.scores[name][m.name][i]; return m.name + " " + (v === null ? "–" : v.toFixed(1)); });
      box.appendChild(el("span", "scores", sc.join(" · ")));
      var flags = (C.fl[s][i] || []).filter(confident);
      var text = highlighted(C.hyps[name][i], flags, C);
      if (C.tgt_lang) text.lang = C.tgt_lang;
      box.appendChild(text);
      if (state.diff && C.refs[i].length) box.appendChild(diffNode(C.refs[i][0], C.hyps[name][i]));
      if (flags.length) {
        var ul = el("ul", "flagnotes");
        flags.forEach(function (f) {
          var li = el("li");
          li.appendChild(el("span", "sev " + sevName(f), sevName(f)));
          li.appendChild(document.createTextNode(" " + f[7].toFixed(2) + " " + C.kinds[f[5]] + " “" + Array.from(C.hyps[name][i]).slice(f[2], f[3]).join("") + "”: " + f[6]));
          ul.appendChild(li);
        });
        box.appendChild(ul);
      }
      grid.appendChild(box);
    });
    sec.appendChild(grid);
    return sec;
  }

  function pager(node, page, pages, key) {
    node.textContent = "";
    if (pages <= 1) return;
    [["« first", 1], ["‹ prev", page - 1], ["next ›", page + 1], ["last »", pages]].forEach(function (b, k) {
      var btn = el("button", null, b[0]);
      btn.type = "button";
      btn.disabled = b[1] < 1 || b[1] > pages || b[1] === page;
      btn.addEventListener("click", function () { state[key] = b[1]; update(false); });
      node.appendChild(btn);
      if (k === 1) node.appendChild(el("span", "pageno", "page " + page + " of " + pages));
    });
  }

  function option(select, value, label) {
    var o = el("option", null, label);
    o.value = value;
    select.appendChild(o);
  }

  function fillControls() {
    var C = DATA.corpora[state.corpus];
    var sel = $("f-corpus");
    sel.textContent = "";
    DATA.corpora.forEach(function (c, i) { option(sel, String(i), c.name); });
    sel.value = String(state.corpus);
    sel.parentNode.hidden = DATA.corpora.length < 2;
    var kind = $("f-kind");
    kind.textContent = "";
    option(kind, "", "all segments");
    if (C.flags.length) option(kind, "*", "any flag");
    C.kinds.forEach(function (k) { option(kind, k, k); });
    kind.value = state.kind;
    $("f-sev").value = state.sev;
    $("f-conf").value = state.conf;
    var metric = $("f-metric");
    metric.textContent = "";
    C.metrics.forEach(function (m) { option(metric, m.name, m.name + (m.higher ? " ↑" : " ↓")); });
    metric.value = state.metric;
    $("f-min").value = state.min;
    $("f-max").value = state.max;
    $("f-sort").value = state.sort;
    $("f-seg").value = state.id;
    $("f-diff").checked = state.diff;
    var fs = $("f-systems");
    Array.prototype.slice.call(fs.querySelectorAll("label")).forEach(function (l) { l.remove(); });
    C.systems.forEach(function (name) {
      var l = el("label"), cb = el("input");
      cb.type = "checkbox";
      cb.value = name;
      cb.checked = state.systems.indexOf(name) >= 0;
      l.appendChild(cb);
      l.appendChild(document.createTextNode(" " + name));
      fs.appendChild(l);
    });
  }

  function readControls() {
    var corpus = parseInt($("f-corpus").value || "0", 10);
    if (corpus !== state.corpus) { state = defaults(corpus); return; }
    var C = DATA.corpora[corpus];
    state.kind = $("f-kind").value;
    state.sev = $("f-sev").value;
    state.conf = $("f-conf").value;
    state.metric = $("f-metric").value;
    state.min = $("f-min").value;
    state.max = $("f-max").value;
    state.sort = $("f-sort").value;
    state.id = $("f-seg").value.trim();
    state.diff = $("f-diff").checked;
    var checked = Array.prototype.slice.call($("f-systems").querySelectorAll("input:checked")).map(function (c) { return c.value; });
    state.systems = C.systems.filter(function (s) { return checked.indexOf(s) >= 0; });
    state.page = 1;
    state.fpage = 1;
    state.focus = null;
  }

  function renderFlags(C, sys) {
    var body = $("flag-rows");
    if (!body) return;
    body.textContent = "";
    var rows = C.flags.filter(function (f) { return sys.indexOf(f[0]) >= 0 && flagMatches(C, f); });
    var pages = Math.max(1, Math.ceil(rows.length / FLAG_PAGE));
    state.fpage = Math.min(state.fpage, pages);
    rows.slice((state.fpage - 1) * FLAG_PAGE, state.fpage * FLAG_PAGE).forEach(function (f) {
      var tr = el("tr");
      tr.className = "flag-row";
      var name = C.systems[f[0]];
      tr.appendChild(el("td", null, name));
      var td = el("td"), a = el("a", "flag-link", String(f[1]) + " (id " + C.ids[f[1]] + ")");
      a.href = hashOf(Object.assign({}, state, { focus: f[1], page: 1 }));
      td.appendChild(a);
      tr.appendChild(td);
      tr.appendChild(el("td", "sev " + sevName(f), sevName(f)));
      tr.appendChild(el("td", null, C.kinds[f[5]] + " " + f[7].toFixed(2)));
      tr.appendChild(el("td", "text", Array.from(C.hyps[name][f[1]]).slice(f[2], f[3]).join("")));
      tr.appendChild(el("td", null, f[6]));
      body.appendChild(tr);
    });
    $("flag-status").textContent = rows.length + " flag" + (rows.length === 1 ? "" : "s");
    pager($("flag-pager"), state.fpage, pages, "fpage");
  }

  function render() {
    var t = performance.now();
    var C = DATA.corpora[state.corpus], sys = selectedIdx(C);
    var list = state.focus !== null ? [state.focus] : matchingSegments(C, sys);
    var pages = Math.max(1, Math.ceil(list.length / PAGE));
    state.page = Math.min(state.page, pages);
    var shown = list.slice((state.page - 1) * PAGE, state.page * PAGE);
    var box = $("segments");
    box.textContent = "";
    var frag = document.createDocumentFragment();
    shown.forEach(function (i) { frag.appendChild(segmentCard(C, sys, i)); });
    box.appendChild(frag);
    var status = $("status");
    status.textContent = "";
    if (state.focus !== null) {
      status.appendChild(document.createTextNode("Showing segment " + state.focus + " of " + C.name + ". "));
      var back = el("a", null, "show all segments");
      back.href = hashOf(Object.assign({}, state, { focus: null }));
      status.appendChild(back);
    } else {
      status.textContent = list.length + " of " + C.n + " segments match" +
        (shown.length ? "; showing " + ((state.page - 1) * PAGE + 1) + "–" + ((state.page - 1) * PAGE + shown.length) : "") +
        " · " + sys.length + " of " + C.systems.length + " systems";
    }
    document.body.dataset.matching = String(list.length);
    pager($("pager-top"), state.page, pages, "page");
    pager($("pager-bottom"), state.page, pages, "page");
    renderFlags(C, sys);
    document.body.dataset.renderMs = (performance.now() - t).toFixed(1);
  }

  function update(fromControls) {
    if (fromControls) readControls();
    history.replaceState(null, "", hashOf(state));
    fillControls();
    render();
  }

  $("controls").addEventListener("change", function () { update(true); });
  $("controls").addEventListener("submit", function (e) { e.preventDefault(); update(true); });
  $("f-reset").addEventListener("click", function () { state = defaults(state.corpus); update(false); });
  window.addEventListener("hashchange", function () {
    if (location.hash.indexOf("=") < 0) return;
    state = readHash();
    fillControls();
    render();
    if (state.focus !== null) { var s = $("seg-" + state.focus); if (s) s.scrollIntoView(); }
  });

  state = readHash();
  fillControls();
  render();
  if (state.focus !== null) { var s0 = $("seg-" + state.focus); if (s0) s0.scrollIntoView(); }
  document.body.dataset.loadMs = (performance.now() - t0).toFixed(1);
  document.body.dataset.ready = "1";
})();
