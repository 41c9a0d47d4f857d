// tracegraph recall workbench: one page for a quality manager in a recall. Plain JS, no build
// step. Everything comes from the GraphQL API (POST /graphql with the key from key.js); live
// progress over the browser's WebSocket (graphql-transport-ws, `recallProgress`); the exports
// are fetched with the key and saved from the browser.
"use strict";

const GRAPHQL = "/graphql";
const Key = window.tracegraphKey;
const $ = (id) => document.getElementById(id);

class KeyRefused extends Error {}

async function gql(text, variables = {}) {
  const key = Key.get();
  if (!key) throw new KeyRefused("no API key: enter one above");
  const response = await fetch(GRAPHQL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: text, variables }),
  });
  if (response.status === 401) {
    let reason = "";
    try { reason = (await response.json()).errors?.[0]?.message || ""; } catch { /* not JSON */ }
    refused(reason);
    throw new KeyRefused("the key was refused: enter another");
  }
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function refused(reason) {
  Key.refuse(reason);
  live.stop();
  setConnection("refused", "key refused");
}

// -- formatting ---------------------------------------------------------------------------------

const fmt = (q) => `${+Number(q).toFixed(3)}`;
const pct = (share) => (share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)} %`);
const ms = (m) => (m < 10 ? `${m.toFixed(1)} ms` : m < 1000 ? `${Math.round(m)} ms` : `${(m / 1000).toFixed(2)} s`);
const when = (t) => (t ? new Date(t).toLocaleString() : "—");

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.dataset[k.slice(5).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function badge(status, classificationId) {
  const b = el("span", { class: `badge ${status || ""}` }, classificationId || status || "?");
  if (classificationId && classificationId !== status) b.title = `${classificationId} (as ${status})`;
  return b;
}

function table(headers, rows) {
  const t = el("table");
  const head = t.createTHead().insertRow();
  for (const h of headers) head.append(el("th", {}, h));
  const body = t.createTBody();
  for (const r of rows) body.append(r);
  return t;
}

// -- 1. the suspect item ------------------------------------------------------------------------

const ITEM = `query($id: String!) { item(id: $id) {
  id kind lotCode unit materialId status classificationId quantityOnHand material { name } } }`;
let suspect = null;

async function findItem(id, quiet = false) {
  if (!quiet) $("search-message").textContent = "";
  const { item } = await gql(ITEM, { id });
  const box = $("item");
  if (!item) {
    suspect = null;
    box.hidden = true;
    $("open-form").hidden = true;
    $("search-message").textContent = `unknown item ${id}: check the id (a trace of it would find nothing)`;
    return;
  }
  suspect = item;
  const dl = el("dl", { class: "facts" });
  const rows = [["item", item.id], ["material", item.material ? `${item.material.name} (${item.materialId})` : item.materialId || "—"],
    ["kind", item.kind], ["lot code", item.lotCode || "—"], ["on hand", `${fmt(item.quantityOnHand)} ${item.unit}`]];
  for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {}, v));
  dl.append(el("dt", {}, "status"), el("dd", {}, badge(item.status, item.classificationId)));
  box.replaceChildren(dl);
  box.dataset.item = item.id;
  box.hidden = false;
  $("open-form").hidden = false;
  if (!quiet) $("open-reason").focus();
}

$("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  findItem($("search-id").value.trim()).catch(failed("search-message"));
});

// -- 2. opening a recall ------------------------------------------------------------------------

const OPEN = `mutation($input: OpenRecallInput!) { openRecall(input: $input) {
  recall { id } errors { field message code } } }`;

async function openRecall(input) {
  const { openRecall: r } = await gql(OPEN, { input });
  if (r.errors.length) throw new Error(r.errors.map((e) => `${e.field ? `${e.field}: ` : ""}${e.message}`).join("; "));
  return r.recall.id;
}

$("open-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const mock = ev.submitter ? ev.submitter.dataset.mock === "true" : true;
  const started = performance.now();
  $("search-message").textContent = mock ? "running a mock recall…" : "opening a recall…";
  openRecall({ itemIds: [suspect.id], reason: $("open-reason").value.trim(), direction: $("open-direction").value,
    mock, throughContainers: $("open-containers").checked })
    .then((id) => {
      $("search-message").textContent = `${mock ? "mock recall" : "recall"} ${id} opened in ${ms(performance.now() - started)}`;
      return show(id);
    })
    .then(loadRecent)
    .catch(failed("search-message"));
});

// -- the recall ---------------------------------------------------------------------------------

const RECALL = `query($id: String!) {
  recall(id: $id) {
    id reason direction suspectIds openedBy openedAt mock throughContainers status statusChangedAt
    affectedCount accounted traceMs reportMs holdEventIds organizationId
    notes { at by text }
    suspects { itemId unit quantity onHand shipped scrapped lost accounted gaps }
    hidden { organizationId count }
    report {
      accounted elapsedMs
      totals { itemId unit }
      stock { itemId locationId quantity unit status classificationId partnerId location { name } }
      deliveries { itemId quantity eventId eventTime shipmentId partnerId destinationId partner { name } }
      massBalance { rootId rootQuantity accounted onHand shipped scrapped lost gaps { itemId kind quantity message } }
    }
  }
}`;
const NOTICES = `{ recallNotices(first: 500) { nodes { id recallId organizationId itemIds createdAt acknowledged acknowledgedAt } } }`;
let recall = null;

async function show(id) {
  const { recall: r } = await gql(RECALL, { id });
  if (!r) {
    $("search-message").textContent = `unknown recall ${id}`;
    return;
  }
  recall = r;
  const params = new URLSearchParams(location.search);
  params.set("recall", id);
  history.replaceState(null, "", `?${params}`);
  let notices = null;
  try {
    notices = (await gql(NOTICES)).recallNotices.nodes.filter((n) => n.recallId === id);
  } catch (e) {
    if (e instanceof KeyRefused) throw e;
    notices = null; // a key without the right to read notices
  }
  for (const p of ["recall-panel", "balance-panel", "stock-panel", "customers-panel", "notices-panel", "notes-panel"]) $(p).hidden = false;
  drawHead(r);
  drawBalance(r);
  drawStock(r);
  drawCustomers(r);
  drawNotices(r, notices);
  drawNotes(r);
  if (suspect && r.suspectIds.includes(suspect.id)) findItem(suspect.id, true).catch(console.error); // its status now
}

function drawHead(r) {
  $("recall-panel").dataset.recall = r.id;
  $("recall-title").textContent = `${r.mock ? "Mock recall" : "Recall"} ${r.id}`;
  const status = $("recall-status");
  status.textContent = r.status;
  status.className = `badge recall-${r.status}`;
  $("recall-mock").hidden = !r.mock;
  $("recall-reason").textContent = r.reason;
  const facts = [
    ["direction", r.direction.toLowerCase() + (r.throughContainers ? ", through shared containers" : "")],
    ["suspects", r.suspectIds.join(", ")],
    ["opened", `${when(r.openedAt)}${r.openedBy ? ` by ${r.openedBy}` : ""}`],
    ["status since", when(r.statusChangedAt)],
    ["items reached", String(r.affectedCount)],
    ["accounted for", `${pct(r.accounted)} when opened, ${pct(r.report.accounted)} now`],
    ["trace took", ms(r.traceMs)],
    ["report took", `${ms(r.reportMs)} when opened, ${ms(r.report.elapsedMs)} now`],
    ["hold events", String(r.holdEventIds.length)],
  ];
  const dl = $("recall-facts");
  dl.replaceChildren();
  for (const [k, v] of facts) dl.append(el("dt", {}, k), el("dd", { "data-fact": k.replace(/ /g, "-") }, v));
  const onHand = r.report.stock.filter((s) => s.status !== "HOLD" && s.status !== "FAIL");
  const lots = new Set(onHand.map((s) => s.itemId)).size;
  const hold = $("hold-all");
  hold.disabled = r.mock || r.status === "CLOSED" || lots === 0;
  hold.title = r.mock ? "a mock recall changes no status: open it as a real recall to hold"
    : r.status === "CLOSED" ? "the recall is closed" : lots === 0 ? "everything on hand is held" : "";
  hold.textContent = lots ? `Hold everything on hand (${lots} lots)…` : "Everything on hand is held";
  $("promote").hidden = !r.mock;
  $("close-recall").disabled = r.mock || r.status === "CLOSED";
}

function drawBalance(r) {
  const box = $("balance");
  box.replaceChildren();
  const units = Object.fromEntries(r.suspects.map((s) => [s.itemId, s.unit || ""]));
  for (const m of r.report.massBalance) {
    const unit = units[m.rootId] || "";
    const share = m.accounted === null ? 0 : Math.max(0, Math.min(1, m.accounted));
    const card = el("div", { class: "balance", "data-root": m.rootId });
    card.append(el("h3", {}, `${m.rootId}: ${fmt(m.rootQuantity)} ${unit}`));
    const bar = el("div", { class: "bar", title: `accounted for: ${pct(m.accounted)}` });
    const parts = [["onhand", m.onHand, "on hand"], ["shipped", m.shipped, "shipped"], ["scrapped", m.scrapped, "scrapped"], ["lost", m.lost, "lost"]];
    for (const [cls, q, label] of parts) {
      if (m.rootQuantity > 0 && q > 0) bar.append(el("i", { class: cls, style: `width:${(100 * q) / m.rootQuantity}%`, title: `${label}: ${fmt(q)} ${unit}` }));
    }
    card.append(bar);
    const accounted = el("p", { class: `accounted ${share < 0.999 ? "short" : "full"}`, "data-accounted": m.accounted ?? "" },
      `accounted for: ${pct(m.accounted)}`);
    card.append(accounted);
    const dl = el("dl", { class: "facts" });
    for (const [, q, label] of parts) dl.append(el("dt", {}, label), el("dd", { "data-part": label.replace(/ /g, "-") }, `${fmt(q)} ${unit}`));
    card.append(dl);
    if (m.gaps.length) {
      const ul = el("ul", { class: "gaps" });
      for (const g of m.gaps) ul.append(el("li", { "data-kind": g.kind }, el("b", {}, g.kind), ` ${g.itemId}: ${g.message}`));
      card.append(el("h4", {}, `gaps (${m.gaps.length})`), ul);
    } else card.append(el("p", { class: "nogaps" }, "no gaps: every quantity has a recorded fate"));
    box.append(card);
  }
  if (!r.report.massBalance.length) box.append(el("p", {}, "no figures (a backward recall has no forward mass balance)"));
}

function drawStock(r) {
  const byLocation = new Map();
  for (const s of r.report.stock) {
    if (!byLocation.has(s.locationId)) byLocation.set(s.locationId, []);
    byLocation.get(s.locationId).push(s);
  }
  const box = $("recall-stock");
  if (!byLocation.size) {
    box.replaceChildren(el("p", {}, "nothing of it is on hand"));
    return;
  }
  const rows = [];
  for (const [locationId, list] of [...byLocation].sort()) {
    const name = list[0].location?.name || locationId;
    const head = el("tr", { class: "location", "data-location": locationId },
      el("th", { colspan: "4" }, `${name}${name !== locationId ? ` (${locationId})` : ""}${list[0].partnerId ? ` — partner ${list[0].partnerId}` : ""}`));
    rows.push(head);
    for (const s of list) {
      rows.push(el("tr", { "data-location": locationId, "data-item": s.itemId, "data-status": s.status },
        el("td", {}, s.itemId), el("td", { class: "status" }, badge(s.status, s.classificationId)),
        el("td", { class: "qty" }, `${fmt(s.quantity)} ${s.unit}`)));
    }
  }
  box.replaceChildren(table(["item", "status", "on hand"], rows));
}

function drawCustomers(r) {
  const units = Object.fromEntries(r.report.totals.map((t) => [t.itemId, t.unit]));
  const byCustomer = new Map();
  for (const d of r.report.deliveries) {
    const who = d.partnerId || d.destinationId;
    if (!byCustomer.has(who)) byCustomer.set(who, { name: d.partner?.name || who.replace(/^virtual:/, ""), list: [] });
    byCustomer.get(who).list.push(d);
  }
  const box = $("customers");
  if (!byCustomer.size) {
    box.replaceChildren(el("p", {}, "nothing of it was shipped"));
    return;
  }
  const rows = [];
  for (const [who, c] of [...byCustomer].sort()) {
    const byUnit = {};
    for (const d of c.list) byUnit[units[d.itemId] || ""] = (byUnit[units[d.itemId] || ""] || 0) + d.quantity;
    const total = Object.entries(byUnit).map(([u, q]) => `${fmt(q)} ${u}`.trim()).join(" + ");
    const shipments = new Set(c.list.map((d) => d.shipmentId || d.eventId));
    rows.push(el("tr", { class: "location customer", "data-customer": who },
      el("th", { colspan: "4" }, `${c.name} — ${shipments.size} shipment${shipments.size === 1 ? "" : "s"}, ${total} in all`)));
    for (const d of c.list) {
      rows.push(el("tr", { "data-customer": who, "data-item": d.itemId },
        el("td", {}, d.shipmentId || d.eventId), el("td", {}, d.itemId), el("td", {}, when(d.eventTime)),
        el("td", { class: "qty" }, `${fmt(d.quantity)} ${units[d.itemId] || ""}`.trim())));
    }
  }
  box.replaceChildren(table(["shipment", "item", "shipped", "quantity"], rows));
}

function drawNotices(r, notices) {
  const box = $("notices");
  box.replaceChildren();
  if (r.mock) box.append(el("p", {}, "a mock recall notifies no one"));
  if (r.hidden.length) {
    const ul = el("ul");
    for (const h of r.hidden) ul.append(el("li", {}, `${h.count} items of ${h.organizationId || "no owner"}: not visible to you; that organization was sent a notice`));
    box.append(ul);
  }
  if (notices === null) {
    box.append(el("p", {}, "this key may not read recall notices"));
  } else if (notices.length) {
    const rows = notices.map((n) => el("tr", { "data-organization": n.organizationId },
      el("td", {}, n.organizationId), el("td", {}, n.itemIds.join(", ")), el("td", {}, when(n.createdAt)),
      el("td", {}, n.acknowledged ? `acknowledged ${when(n.acknowledgedAt)}` : "not acknowledged")));
    box.append(table(["organization", "its items", "sent", "acknowledged"], rows));
  } else if (!r.mock) box.append(el("p", {}, "no partner owns what it reached: no notices"));
}

function drawNotes(r) {
  const ol = $("notes");
  ol.replaceChildren(...r.notes.map((n) => el("li", {}, el("time", {}, when(n.at)), n.by ? ` ${n.by}: ` : " ", n.text)));
  if (!r.notes.length) ol.append(el("li", { class: "empty" }, "no notes yet"));
}

// -- actions ------------------------------------------------------------------------------------

function confirmStep(title, text, ok) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = ok;
  $("confirm-note").value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? { note: $("confirm-note").value.trim() || null } : null), { once: true });
    dialog.showModal();
  });
}

function failed(target) {
  return (e) => {
    $(target).textContent = e.message;
    $(target).dataset.error = "true";
  };
}

function said(text) {
  $("action-message").textContent = text;
  delete $("action-message").dataset.error;
}

$("hold-all").addEventListener("click", async () => {
  const r = recall;
  const lots = new Set(r.report.stock.filter((s) => s.status !== "HOLD" && s.status !== "FAIL").map((s) => s.itemId));
  const places = new Set(r.report.stock.map((s) => s.locationId));
  const answer = await confirmStep("Hold everything on hand?",
    `${lots.size} lots on hand at ${places.size} locations go on HOLD in one transaction: they can no longer be issued or shipped. The recall becomes CONTAINED.`,
    "Hold everything");
  if (!answer) return;
  try {
    const { holdRecall: h } = await gql(`mutation($id: String!, $note: String) { holdRecall(id: $id, note: $note) {
      heldItemIds errors { message } } }`, { id: r.id, note: answer.note });
    if (h.errors.length) throw new Error(h.errors.map((e) => e.message).join("; "));
    said(`${h.heldItemIds.length} items put on HOLD`);
    await show(r.id);
  } catch (e) { failed("action-message")(e); }
});

$("promote").addEventListener("click", async () => {
  const r = recall;
  const answer = await confirmStep("Open as a real recall?",
    `A real recall from ${r.suspectIds.join(", ")} (${r.direction.toLowerCase()}): the partners owning what it reaches are sent a notice, and its stock can then be held.`,
    "Open the recall");
  if (!answer) return;
  try {
    const id = await openRecall({ itemIds: r.suspectIds, reason: r.reason, direction: r.direction, mock: false,
      throughContainers: r.throughContainers });
    if (answer.note) await addNote(id, answer.note);
    said(`recall ${id} opened`);
    await show(id);
    await loadRecent();
  } catch (e) { failed("action-message")(e); }
});

$("close-recall").addEventListener("click", async () => {
  const answer = await confirmStep("Close the recall?", "It can no longer be held or changed, only read and exported.", "Close it");
  if (!answer) return;
  try {
    const { setRecallStatus: s } = await gql(`mutation($id: String!, $note: String) {
      setRecallStatus(id: $id, status: CLOSED, note: $note) { errors { message } } }`, { id: recall.id, note: answer.note });
    if (s.errors.length) throw new Error(s.errors.map((e) => e.message).join("; "));
    said("closed");
    await show(recall.id);
  } catch (e) { failed("action-message")(e); }
});

async function addNote(id, text) {
  const { addRecallNote: n } = await gql(`mutation($id: String!, $text: String!) { addRecallNote(id: $id, text: $text) {
    errors { message } } }`, { id, text });
  if (n.errors.length) throw new Error(n.errors.map((e) => e.message).join("; "));
}

$("note-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("note-text").value.trim();
  try {
    await addNote(recall.id, text);
    $("note-text").value = "";
    await show(recall.id);
  } catch (e) { failed("action-message")(e); }
});

// -- exports: fetched with the key, saved by the browser ------------------------------------------

const EXPORTS = {
  "fsma-xlsx": (id) => `/exports/fsma?recallId=${encodeURIComponent(id)}`,
  "fsma-zip": (id) => `/exports/fsma?recallId=${encodeURIComponent(id)}&format=zip`,
  "recall-csv": (id) => `/exports/recalls/${encodeURIComponent(id)}?format=csv`,
  "recall-xlsx": (id) => `/exports/recalls/${encodeURIComponent(id)}?format=xlsx`,
  epcis: (id) => `/epcis/recalls/${encodeURIComponent(id)}`,
};

async function download(kind) {
  const url = EXPORTS[kind](recall.id);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${Key.get()}` } });
  $("exports").dataset.last = `${kind} ${response.status}`;
  if (response.status === 401) { refused(""); return; }
  if (!response.ok) {
    let message = `${response.status}`;
    try { message = (await response.json()).error || message; } catch { /* not JSON */ }
    throw new Error(`export failed: ${message}`);
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] || `recall-${recall.id}-${kind}${kind === "epcis" ? ".jsonld" : ""}`;
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  said(`saved ${name}`);
}

for (const b of document.querySelectorAll("[data-export]")) {
  b.addEventListener("click", () => download(b.dataset.export).catch(failed("action-message")));
}

// -- recent recalls -----------------------------------------------------------------------------

async function loadRecent() {
  const { recalls } = await gql(`{ recalls(first: 10) { nodes { id reason status mock openedAt } } }`);
  $("recent").replaceChildren(...recalls.nodes.map((r) => {
    const a = el("a", { href: `?recall=${encodeURIComponent(r.id)}`, "data-recall": r.id }, r.id);
    a.addEventListener("click", (ev) => { ev.preventDefault(); show(r.id).catch(failed("search-message")); });
    return el("li", {}, a, " ", el("span", { class: `badge recall-${r.status}` }, r.status), r.mock ? " mock · " : " · ", r.reason);
  }));
  if (!recalls.nodes.length) $("recent").append(el("li", { class: "empty" }, "none yet"));
}

// -- live progress: the recallProgress subscription ------------------------------------------------

const REFUSED_CLOSE_CODES = new Set([4401, 4403]);

const live = {
  ws: null,
  stopped: true,
  attempts: 0,
  start() { this.stopped = false; this.attempts = 0; this.connect(); },
  stop() { this.stopped = true; clearTimeout(this.timer); if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000); },
  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${GRAPHQL}`, "graphql-transport-ws");
    this.ws = ws;
    const send = (m) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
    ws.onopen = () => send({ type: "connection_init", payload: { Authorization: `Bearer ${Key.get()}` } });
    ws.onmessage = (m) => {
      const message = JSON.parse(m.data);
      if (message.type === "connection_ack") {
        this.attempts = 0;
        setConnection("live", "live");
        send({ id: "progress", type: "subscribe", payload: { query: PROGRESS } });
      } else if (message.type === "next" && message.payload.data) progressed(message.payload.data.recallProgress);
      else if (message.type === "ping") send({ type: "pong" });
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      if (REFUSED_CLOSE_CODES.has(e.code)) { refused(e.reason); return; }
      if (this.stopped) return;
      setConnection("closed", `disconnected (${e.code}), reconnecting…`);
      const delay = Math.min(30_000, 500 * 2 ** this.attempts) * (0.75 + Math.random() / 2);
      this.attempts += 1;
      this.timer = setTimeout(() => this.connect(), delay);
    };
  },
};

const PROGRESS = `subscription { recallProgress { recallId what status mock affectedCount accounted heldCount at } }`;
const WHAT = { OPENED: "opened", HELD: "stock held", STATUS: "status changed", NOTE: "note added" };
let refreshTimer = null;
let recentTimer = null;

function progressed(p) {
  const li = el("li", { "data-recall": p.recallId, "data-what": p.what },
    el("time", {}, new Date(p.at).toLocaleTimeString()), " ", el("b", {}, p.recallId), ` ${WHAT[p.what] || p.what} · `,
    el("span", { class: `badge recall-${p.status}` }, p.status),
    ` · ${p.affectedCount} items reached, ${pct(p.accounted)} accounted for${p.what === "HELD" ? `, ${p.heldCount} put on HOLD` : ""}${p.mock ? " (mock)" : ""}`);
  $("progress").prepend(li);
  clearTimeout(recentTimer);
  recentTimer = setTimeout(() => loadRecent().catch(console.error), 300);
  if (recall && p.recallId === recall.id) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => show(recall.id).catch(console.error), 150);
  }
}

// -- wiring ---------------------------------------------------------------------------------------

const connection = $("connection");
function setConnection(state, text) {
  connection.dataset.state = state;
  connection.textContent = text;
}

function begin() {
  setConnection("connecting", "connecting…");
  live.start();
  loadRecent().catch(console.error);
  const wanted = new URLSearchParams(location.search);
  if (wanted.get("recall")) show(wanted.get("recall")).catch(failed("search-message"));
  else if (wanted.get("item")) {
    $("search-id").value = wanted.get("item");
    findItem(wanted.get("item")).catch(failed("search-message"));
  }
}

Key.onKey(begin);
if (Key.get()) begin();
else {
  setConnection("refused", "no key");
  Key.ask("enter an API key (sent as Authorization: Bearer <key>)");
}
