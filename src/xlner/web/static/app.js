// xlner's page: live tagging (POST /v1/tag) and the run browser (GET /v1/run...).
// Every text from the server or the user is set with textContent: nothing is parsed as HTML.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

const fmt = (x, d = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));

async function getJSON(url, options) {
  const res = await fetch(url, options);
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function status(text) { $("status").textContent = text; }

// ------------------------------------------------------------------ views

function show(view) {
  for (const v of ["tag", "run"]) {
    $("view-" + v).hidden = v !== view;
    $("nav-" + v).classList.toggle("active", v === view);
  }
  if (location.hash !== "#" + view) history.replaceState(null, "", "#" + view);
}

async function start() {
  const web = await getJSON("/v1/web");
  for (const b of document.querySelectorAll("nav button")) {
    b.addEventListener("click", () => show(b.dataset.view));
  }
  $("nav-tag").hidden = !web.tagging;
  $("nav-run").hidden = !web.run;
  if (web.tagging) await startTag();
  if (web.run) await startRun();
  const wanted = location.hash.slice(1);
  show(wanted === "run" && web.run ? "run" : web.tagging ? "tag" : "run");
}

// ------------------------------------------------------------------ tagging

let lastAnswer = null;

async function startTag() {
  const info = await getJSON("/v1/info");
  for (const m of info.methods) $("method").append(el("option", { value: m }, m));
  for (const l of info.languages || []) $("langs").append(el("option", { value: l }));
  if (info.languages && info.languages.length) $("lang").value = info.languages[0];
  $("tag-form").addEventListener("submit", (e) => { e.preventDefault(); tag(); });
  $("min-score").addEventListener("input", () => {
    $("min-score-value").textContent = fmt($("min-score").value);
    if (lastAnswer) renderAnswer(lastAnswer);  // filter at once, no new request
  });
}

async function tag() {
  $("tag-error").hidden = true;
  status("tagging…");
  const body = { lang: $("lang").value, text: $("text").value, method: $("method").value };
  try {
    lastAnswer = await getJSON("/v1/tag", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    renderAnswer(lastAnswer);
    status(`tagged in ${fmt(lastAnswer.wall_seconds, 3)} s`);
  } catch (e) {
    $("tag-error").textContent = e.message;
    $("tag-error").hidden = false;
    status("");
  }
}

const shown = (ent, min) => ent.score === null || ent.score >= min;

function entityChip(ent) {
  return el("li", { class: "entity", dataset: { label: ent.label } },
    el("span", { class: "text" }, ent.text), " ", el("b", {}, ent.label),
    el("span", { class: "score" }, ent.score === null ? "" : fmt(ent.score)));
}

function tokenRow(tokens, entities, cls, lostEnts) {
  const label = new Array(tokens.length).fill(null);
  const score = new Array(tokens.length).fill(null);
  const lost = new Array(tokens.length).fill(false);
  for (const e of entities) for (let i = e.start; i < e.end; i++) { label[i] = e.label; score[i] = e.score; }
  for (const e of lostEnts || []) for (let i = e.start; i < e.end; i++) lost[i] = true;
  return el("div", { class: "row " + cls },
    tokens.map((t, i) => el("span", {
      class: "tok" + (label[i] ? " ent" : "") + (lost[i] ? " lost" : ""),
      dataset: { i: i, label: label[i] || "" },
      title: label[i] ? `${label[i]} ${score[i] === null ? "" : fmt(score[i])}` : null,
    }, t)));
}

function drawLinks(pair, links, enEntities) {
  const top = pair.querySelector(".row.tgt");
  const bottom = pair.querySelector(".row.en");
  const box = pair.getBoundingClientRect();
  const s = svg("svg", { class: "links", width: pair.scrollWidth, height: pair.scrollHeight });
  const inEnt = new Set();
  for (const e of enEntities) for (let i = e.start; i < e.end; i++) inEnt.add(i);
  for (const [en, tgt] of links) {
    const a = top.children[tgt];
    const b = bottom.children[en];
    if (!a || !b) continue;
    const ra = a.getBoundingClientRect();
    const rb = b.getBoundingClientRect();
    s.append(svg("line", {
      x1: ra.left + ra.width / 2 - box.left + pair.scrollLeft, y1: ra.bottom - box.top + 2,
      x2: rb.left + rb.width / 2 - box.left + pair.scrollLeft, y2: rb.top - box.top - 2,
      class: inEnt.has(en) ? "in-entity" : "", "data-en": en, "data-tgt": tgt,
    }));
  }
  pair.append(s);
}

function renderAnswer(doc) {
  const min = Number($("min-score").value);
  const out = $("tag-result");
  out.replaceChildren();
  const bt = doc.method.includes("+bt");
  for (const sent of doc.sentences) {
    const ents = sent.entities.filter((e) => shown(e, min));
    const hidden = sent.entities.length - ents.length;
    const box = el("div", { class: "sentence" });
    const pair = el("div", { class: "pair" }, tokenRow(sent.tokens, ents, "tgt"));
    box.append(pair);
    box.append(el("ul", { class: "entities tgt-entities" }, ents.map(entityChip)));
    if (hidden) box.append(el("p", { class: "note" }, `${hidden} entit${hidden === 1 ? "y" : "ies"} below ${fmt(min)} hidden`));
    if (sent.translation_tokens) {
      const enEnts = sent.translation_entities.filter((e) => shown(e, min));
      // an English entity under the slider is not projected: lost, as the server says it
      // would be with that min_score
      const lostAll = [...(sent.lost || []), ...sent.translation_entities
        .map((e, k) => ({ ...e, entity: k, reason: "below_threshold" }))
        .filter((e) => !shown(e, min) && !(sent.lost || []).some((l) => l.entity === e.entity))];
      pair.append(tokenRow(sent.translation_tokens, enEnts, "en", lostAll));
      box.append(el("p", { class: "side" }, "English translation: ", sent.translation || ""));
      box.append(el("ul", { class: "entities en-entities" }, enEnts.map(entityChip)));
      if (lostAll.length) {
        box.append(el("p", { class: "side" }, "Lost (English entities not projected):"));
        box.append(el("ul", { class: "lost-list" }, lostAll.map((l) =>
          el("li", {}, el("span", {}, l.text), ` ${l.label} ${l.score === null ? "" : fmt(l.score)}`,
            el("span", { class: "reason" }, l.reason)))));
      }
      if (bt) box.append(el("p", { class: "note" }, "+bt: the links join English to the back-translation, not drawn here"));
      out.append(box);
      if (!bt) drawLinks(pair, sent.links || [], enEnts);
    } else {
      out.append(box);
    }
  }
  const secs = Object.entries(doc.seconds);
  out.append(el("table", { class: "seconds" },
    el("tr", {}, el("th", {}, "stage"), el("th", {}, "seconds")),
    secs.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, fmt(v, 4)))),
    el("tr", {}, el("td", {}, "wall (queue included)"), el("td", {}, fmt(doc.wall_seconds, 4)))));
  out.append(el("p", { class: "note" }, "signature: ", el("code", {}, doc.signature)));
}

// ------------------------------------------------------------------ run browser

let run = null;

async function startRun() {
  run = await getJSON("/v1/run");
  $("run-signature").textContent = run.signature;
  const tables = $("run-tables");
  run.tables.forEach((t, n) => {
    tables.append(el("table", { class: n === 0 ? "results" : "" },
      el("tr", {}, t.header.map((h) => el("th", {}, h))),
      t.rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
  });
  const langs = [...new Set(run.units.map((u) => u.lang))];
  for (const l of langs) $("run-lang").append(el("option", { value: l }, l));
  const methods = () => {
    $("run-method").replaceChildren(...run.units.filter((u) => u.lang === $("run-lang").value)
      .map((u) => el("option", { value: u.slug }, u.method)));
  };
  methods();
  $("run-lang").addEventListener("change", () => { methods(); openUnit(); });
  $("run-method").addEventListener("change", openUnit);
  $("run-kind").addEventListener("change", openUnit);
  if (langs.length) await openUnit();
}

function marked(tokens, spans, cls) {
  const at = new Array(tokens.length).fill(null);
  for (const s of spans) for (let i = s.start; i < s.end; i++) at[i] = s.label;
  return el("div", { class: "row " + cls },
    tokens.map((t, i) => el("span", { class: "tok" + (at[i] ? " ent" : ""), dataset: { label: at[i] || "" } }, t)));
}

async function openUnit() {
  const lang = encodeURIComponent($("run-lang").value);
  const method = encodeURIComponent($("run-method").value);
  const kind = encodeURIComponent($("run-kind").value);
  status("loading…");
  try {
    const [unit, lost] = await Promise.all([
      getJSON(`/v1/run/units/${lang}/${method}?kind=${kind}`),
      getJSON(`/v1/run/lost/${lang}/${method}`),
    ]);
    renderUnit(unit);
    renderLost(lost);
    renderCurves(unit);
    status("");
  } catch (e) {
    status(e.message);
  }
}

function renderUnit(unit) {
  $("run-note").textContent = unit.note;
  const c = unit.counts;
  $("run-counts").textContent = unit.gold_found
    ? `${unit.total} sentences shown (${unit.sentences.length} on this page); sentences with missed: ${c.missed}, spurious: ${c.spurious}, wrong type: ${c.wrong_type}`
    : "gold not found: predictions only";
  $("run-sentences").replaceChildren(...unit.sentences.map((s) => {
    const tok = (d) => s.tokens.slice(d.start, d.end).join(" ");
    return el("div", { class: "sentence unit-sentence", dataset: { index: s.index } },
      el("p", { class: "side" }, `#${s.index} gold`),
      s.gold ? marked(s.tokens, s.gold, "gold") : el("p", { class: "note" }, "(no gold)"),
      el("p", { class: "side" }, "prediction"),
      marked(s.tokens, s.pred, "pred"),
      el("ul", { class: "diffs" }, s.diffs.map((d) => el("li", { class: "diff", dataset: { kind: d.kind } },
        el("span", { class: "kind kind-" + d.kind }, d.kind.replace("_", " ")),
        tok(d), " ", d.kind === "wrong_type" ? `${d.label} (gold ${d.gold_label})` : d.label,
        d.score === null ? "" : ` ${fmt(d.score)}`))));
  }));
}

function renderLost(lost) {
  const box = $("run-lost");
  const reasons = Object.entries(lost.by_reason);
  if (!reasons.length) {
    box.replaceChildren(el("p", { class: "note" }, "no lost entities (or not a projection method)"));
    return;
  }
  const pick = el("select", { id: "lost-reason" }, el("option", { value: "" }, "every reason"),
    reasons.map(([r, n]) => el("option", { value: r }, `${r} (${n})`)));
  const list = el("div", {});
  const draw = () => {
    const want = pick.value;
    list.replaceChildren(...lost.sentences.filter((s) => !want || s.lost.some((e) => e.reason === want))
      .map((s) => el("div", { class: "sentence lost-sentence" },
        el("p", { class: "side" }, `#${s.sentence} target`), el("p", {}, s.target),
        el("p", { class: "side" }, "English translation"), el("p", {}, s.source),
        el("ul", { class: "lost-list" }, s.lost.filter((e) => !want || e.reason === want).map((e) =>
          el("li", {}, el("span", {}, e.entity), ` ${e.label} ${e.score === null ? "" : fmt(e.score)}`,
            el("span", { class: "reason" }, e.reason)))))));
  };
  pick.addEventListener("change", draw);
  draw();
  box.replaceChildren(
    el("table", {}, el("tr", {}, el("th", {}, "reason"), el("th", {}, "entities")),
      reasons.map(([r, n]) => el("tr", {}, el("td", {}, r), el("td", {}, n)))),
    el("label", {}, "show ", pick), list);
}

function plot(title, xs, series, w = 360, h = 220) {
  const m = { l: 36, r: 10, t: 20, b: 30 };
  const X = (x) => m.l + x * (w - m.l - m.r);
  const Y = (y) => h - m.b - y * (h - m.t - m.b);
  const s = svg("svg", { class: "plot", width: w, height: h, role: "img", "aria-label": title });
  s.append(svg("text", { x: m.l, y: 13 }, title));
  s.append(svg("line", { class: "axis", x1: X(0), y1: Y(0), x2: X(1), y2: Y(0) }));
  s.append(svg("line", { class: "axis", x1: X(0), y1: Y(0), x2: X(0), y2: Y(1) }));
  for (const v of [0, 0.5, 1]) {
    s.append(svg("text", { x: X(v) - 6, y: h - 12 }, v));
    s.append(svg("text", { x: 4, y: Y(v) + 4 }, v));
  }
  for (const { name, color, ys, dash } of series) {
    const pts = xs.map((x, i) => [x, ys[i]]).filter(([, y]) => y !== null);
    s.append(svg("polyline", {
      points: pts.map(([x, y]) => `${X(x)},${Y(y)}`).join(" "), fill: "none", stroke: color,
      "stroke-width": 2, "stroke-dasharray": dash || "", "data-series": name,
    }));
    for (const [x, y] of pts) s.append(svg("circle", { cx: X(x), cy: Y(y), r: 2.5, fill: color }));
  }
  return s;
}

function renderCurves(unit) {
  const box = $("run-curves");
  if (!unit.curve) {
    box.replaceChildren(el("p", { class: "note" }, unit.note || "no confidence curve"));
    return;
  }
  const xs = unit.curve.map((p) => p.threshold);
  const curve = plot("P / R / F1 over the min score", xs, [
    { name: "precision", color: "#1971c2", ys: unit.curve.map((p) => p.precision) },
    { name: "recall", color: "#2b8a3e", ys: unit.curve.map((p) => p.recall) },
    { name: "f1", color: "#d9480f", ys: unit.curve.map((p) => p.f1) },
  ]);
  curve.id = "curve";
  const rb = unit.reliability;
  const mids = rb.map((b) => (b.low + b.high) / 2);
  const rel = plot(`Reliability (ECE ${fmt(unit.ece, 3)})`, mids, [
    { name: "ideal", color: "#adb5bd", ys: mids, dash: "4 3" },
    { name: "precision", color: "#862e9c", ys: rb.map((b) => b.precision) },
  ]);
  rel.id = "reliability";
  box.replaceChildren(curve, rel, el("p", { class: "legend" },
    el("span", { style: null }, "blue: precision · green: recall · orange: F1 (left); purple: precision per score bin vs the diagonal (right)")));
}

start().catch((e) => status(e.message));
