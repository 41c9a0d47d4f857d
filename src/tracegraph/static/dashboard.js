// tracegraph live dashboard: plain JS, no build step. Queries over fetch (POST /graphql), live
// updates over the browser's WebSocket speaking graphql-transport-ws at /graphql.
"use strict";

const GRAPHQL = "/graphql";
const OVERFLOW_CLOSE_CODE = 4029; // the server dropped us for falling behind: resume with `after`
const FEED_MAX = 200;
const KEY_STORAGE = "tracegraph.apiKey";

// -- the API key -------------------------------------------------------------------------------
// Every request carries `Authorization: Bearer <key>`. The key comes from `?key=` (then kept in
// localStorage and taken out of the address bar) or from localStorage; without one, or when the
// server refuses it (HTTP 401, or the WebSocket closed with 4401/4403), the page says so, asks for
// another in its own form and stops reconnecting until one is entered.

const keyForm = document.getElementById("key-form");
const keyMessage = document.getElementById("key-message");
let keyRefused = false;

function apiKey() {
  const fromUrl = new URLSearchParams(location.search).get("key");
  if (fromUrl) {
    localStorage.setItem(KEY_STORAGE, fromUrl);
    const rest = new URLSearchParams(location.search);
    rest.delete("key");
    history.replaceState(null, "", rest.toString() ? `?${rest}` : location.pathname);
  }
  return localStorage.getItem(KEY_STORAGE) || "";
}

function askForKey(message) {
  keyMessage.textContent = message;
  keyForm.hidden = false;
  document.getElementById("key-input").focus();
}

class KeyRefused extends Error {}

function refuseKey(reason) {
  localStorage.removeItem(KEY_STORAGE);
  keyRefused = true;
  window.tracegraph?.live?.stop();
  setConnection("refused", "key refused");
  askForKey(`the key was refused: enter another${reason ? ` (${reason})` : ""}`);
}

async function query(text, variables = {}) {
  const key = apiKey();
  if (!key || keyRefused) throw new KeyRefused("no API key: enter one above");
  const response = await fetch(GRAPHQL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: text, variables }),
  });
  if (response.status === 401) {
    let reason = "";
    try { reason = (await response.json()).errors?.[0]?.message || ""; } catch { /* not JSON */ }
    refuseKey(reason);
    throw new KeyRefused("the key was refused: enter another");
  }
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

// -- graphql-transport-ws ----------------------------------------------------------------------
// A dropped connection reconnects with exponential back-off (0.5 s doubling to 30 s, with jitter;
// at once after the server dropped us for falling behind); a refused key stops it for good.

const REFUSED_CLOSE_CODES = new Set([4401, 4403]);
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

class LiveSocket {
  constructor(onState) {
    this.onState = onState;
    this.subscriptions = new Map(); // id -> {query, variables(), onData}
    this.onConnected = [];
    this.attempts = 0; // failed attempts since the last acknowledged connection
    this.connects = 0; // sockets opened, for the tests
    this.stopped = true;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    clearTimeout(this.timer);
    this.attempts = 0;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
  }

  connect() {
    if (this.stopped) return;
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${GRAPHQL}`;
    const ws = new WebSocket(url, "graphql-transport-ws");
    this.ws = ws;
    this.acked = false;
    this.connects += 1;
    ws.onopen = () => this.send({ type: "connection_init", payload: { Authorization: `Bearer ${apiKey()}` } });
    ws.onmessage = (m) => this.receive(JSON.parse(m.data));
    ws.onclose = (e) => {
      if (ws !== this.ws) return; // an old socket, replaced after a new key
      this.acked = false;
      if (REFUSED_CLOSE_CODES.has(e.code)) {
        refuseKey(e.reason);
        return;
      }
      if (this.stopped) return;
      this.onState("closed", e.code);
      const delay = e.code === OVERFLOW_CLOSE_CODE ? 0
        : Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempts) * (0.75 + Math.random() / 2);
      this.attempts += 1;
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  receive(message) {
    switch (message.type) {
      case "connection_ack":
        this.acked = true;
        this.attempts = 0;
        this.onState("live");
        for (const [id, s] of this.subscriptions) this.begin(id, s);
        for (const f of this.onConnected) f();
        break;
      case "next": {
        const s = this.subscriptions.get(message.id);
        if (s && message.payload.data) s.onData(message.payload.data);
        if (message.payload.errors) console.warn("subscription", message.id, message.payload.errors);
        break;
      }
      case "error":
        console.warn("subscription", message.id, message.payload);
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
    }
  }

  begin(id, s) {
    this.send({ id, type: "subscribe", payload: { query: s.query, variables: s.variables() } });
  }

  subscribe(id, query, variables, onData) {
    const s = { query, variables, onData };
    this.subscriptions.set(id, s);
    if (this.acked) this.begin(id, s);
  }
}

// -- live feed ---------------------------------------------------------------------------------

const feed = document.getElementById("feed");
let lastEventId = null; // resume point after a reconnect: nothing is lost, nothing repeated

function showEvent(e) {
  const li = document.createElement("li");
  li.dataset.eventId = e.id;
  const time = new Date(e.eventTime).toLocaleTimeString();
  li.innerHTML = `<span class="type"></span> <span class="items"></span> <time></time>`;
  li.querySelector(".type").textContent = e.type;
  li.querySelector(".items").textContent = e.itemIds.join(", ") + (e.locationId ? ` @ ${e.locationId}` : "");
  li.querySelector("time").textContent = time;
  li.title = e.id;
  feed.prepend(li);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
}

// -- stock by location -------------------------------------------------------------------------
// Each lot with its status (HOLD, QC... or an organization's own classification): a reclassification
// changes live (itemStatusChanged); a lot not seen before refreshes the snapshot (debounced).

const stockBox = document.getElementById("stock");
const stock = new Map(); // locationId -> Map(itemId -> {quantity, unit, materialId})
const statuses = new Map(); // itemId -> {status, classificationId}
const realLocations = new Map(); // id -> name (virtual locations are not stock on hand)
let stockTimer = null;

async function loadStock() {
  const data = await query(`{
    locations(first: 500) { nodes { id name isVirtual } }
    stock(includeVirtual: false, first: 500) {
      nodes { itemId locationId materialId quantity unit item { status classificationId } }
    }
  }`);
  realLocations.clear();
  for (const l of data.locations.nodes) if (!l.isVirtual) realLocations.set(l.id, l.name);
  stock.clear();
  for (const b of data.stock.nodes) {
    setStock(b.locationId, b.itemId, b.quantity, b);
    if (b.item) statuses.set(b.itemId, b.item);
  }
  drawStock();
}

function refreshStockSoon() {
  clearTimeout(stockTimer);
  stockTimer = setTimeout(() => loadStock().catch(console.error), 200);
}

function setStock(locationId, itemId, quantity, info) {
  if (!stock.has(locationId)) stock.set(locationId, new Map());
  const here = stock.get(locationId);
  const row = here.get(itemId) || { unit: info.unit || "", materialId: info.materialId || "" };
  row.quantity = quantity;
  if (Math.abs(quantity) < 1e-9) here.delete(itemId); else here.set(itemId, row);
}

function changeStock(c) {
  if (!realLocations.has(c.locationId)) return;
  const row = stock.get(c.locationId)?.get(c.itemId);
  setStock(c.locationId, c.itemId, (row ? row.quantity : 0) + c.delta, c);
  if (!statuses.has(c.itemId)) refreshStockSoon(); // a new lot: fetch its status
  drawStock();
}

function drawStock() {
  const table = document.createElement("table");
  for (const locationId of [...stock.keys()].sort()) {
    const rows = stock.get(locationId);
    if (!rows.size) continue;
    const head = table.insertRow();
    head.className = "location";
    head.dataset.location = locationId;
    head.innerHTML = `<th colspan="4"></th>`;
    head.firstChild.textContent = realLocations.get(locationId) || locationId;
    for (const itemId of [...rows.keys()].sort()) {
      const r = rows.get(itemId);
      const s = statuses.get(itemId);
      const tr = table.insertRow();
      tr.dataset.location = locationId;
      tr.dataset.item = itemId;
      tr.innerHTML = `<td></td><td></td><td class="status"><span class="badge"></span></td><td class="qty"></td>`;
      tr.cells[0].textContent = itemId;
      tr.cells[1].textContent = r.materialId || "";
      if (s) {
        const badge = tr.cells[2].firstChild;
        badge.textContent = s.classificationId;
        badge.classList.add(s.status);
        tr.dataset.status = s.status;
        badge.title = s.classificationId === s.status ? s.status : `${s.classificationId} (as ${s.status})`;
      }
      tr.cells[3].textContent = `${+r.quantity.toFixed(3)} ${r.unit}`;
    }
  }
  stockBox.replaceChildren(table);
}

// -- trace graph -------------------------------------------------------------------------------
// Laid out in layers by dagre (cytoscape-dagre), left to right along the flow of material: a
// forward trace starts at its root on the left, a backward trace ends at its root on the right.
// Node sizes include their labels, so labels never overlap. More than GROUP_ABOVE children of one
// node are drawn as one group node with their count (a tap expands it); a trace of more than
// AGGREGATE_ABOVE items is drawn aggregated: one node per depth and material, with counts.
// Hover (or tap) a node for its status, kind, material and quantity on hand.

const STATUS_COLOURS = { RELEASED: "#2e9d5b", QC: "#e0b000", HOLD: "#e67e22", FAIL: "#c0392b", REWORK: "#8e44ad" };
const STATUS_WORST_FIRST = ["FAIL", "HOLD", "REWORK", "QC", "RELEASED"];
const GROUP_ABOVE = 20;
const AGGREGATE_ABOVE = 1000;
const graphBox = document.getElementById("graph");
const tip = document.getElementById("graph-tip");
const summary = document.getElementById("trace-summary");
let current = null; // {id, direction, nodes: Set of item ids, model, expanded: Set of node ids}
let redraws = 0;
let reloadTimer = null;
let wanted = null; // {id, direction}: the trace asked for, drawn once a key is accepted

const cy = cytoscape({
  container: graphBox,
  minZoom: 0.05,
  maxZoom: 2.5,
  wheelSensitivity: 0.3,
  style: [
    { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 3,
      "text-wrap": "wrap", "text-max-width": 160, "min-zoomed-font-size": 4,
      width: 24, height: 24, "background-color": "#999" } },
    ...Object.entries(STATUS_COLOURS).map(([s, c]) => ({ selector: `node[status="${s}"]`, style: { "background-color": c } })),
    { selector: "node.root", style: { "border-width": 4, "border-color": "#1d2430", width: 32, height: 32, "font-weight": "bold" } },
    { selector: "node.shipment", style: { shape: "diamond", "background-color": "#3b6fd8" } },
    { selector: "node.customer", style: { shape: "round-rectangle", "background-color": "#5d6b7e", width: 40 } },
    { selector: "node.group", style: { shape: "round-rectangle", width: 44, height: 28, "border-width": 2,
      "border-style": "double", "border-color": "#1d2430", "background-opacity": 0.85 } },
    { selector: "node.aggregate", style: { shape: "round-rectangle", width: "mapData(count, 1, 1000, 30, 80)", height: 30 } },
    { selector: "node:selected", style: { "overlay-color": "#3b6fd8", "overlay-opacity": 0.15 } },
    { selector: "edge", style: { width: 1.5, "line-color": "#aab3c2", "target-arrow-color": "#aab3c2",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8 } },
    { selector: "edge[count > 1]", style: { width: "mapData(count, 1, 500, 2, 8)", label: "data(count)",
      "font-size": 9, color: "#56627a", "text-background-color": "#fff", "text-background-opacity": 1 } },
    { selector: "edge.delivery", style: { "line-style": "dashed", "line-color": "#3b6fd8", "target-arrow-color": "#3b6fd8" } },
  ],
});
window.tracegraph = { cy };

const TRACE = `query($id: String!, $direction: TraceDirection!) {
  trace(id: $id, direction: $direction) {
    root { id status classificationId kind materialId unit onHand { locationId quantity unit } }
    items { id depth kind materialId status classificationId onHand { locationId quantity unit } }
    edges { source target }
    deliveries { itemId quantity eventId shipmentId partnerId destinationId }
  }
}`;

// The trace as a graph: nodes by id, links along the flow of material (source -> target), and
// `away`: each node's neighbours one step further from the root (what grouping folds).
function buildModel(trace, id, direction) {
  const nodes = new Map();
  const links = [];
  const item = (i, depth, root) => nodes.set(i.id, {
    id: i.id, type: "item", label: i.id, root, depth, status: i.status || null,
    classificationId: i.classificationId || null, kind: i.kind || null, materialId: i.materialId || null,
    onHand: i.onHand || [],
  });
  item(trace.root || { id }, 0, true);
  for (const i of trace.items) item(i, i.depth, false);
  for (const e of trace.edges) {
    if (nodes.has(e.source) && nodes.has(e.target)) links.push({ source: e.source, target: e.target, cls: "" });
  }
  // Deliveries on a forward trace: item -> shipment -> customer. A backward trace ends at its root,
  // so its picture leaves out its ancestors' shipments (the summary counts them).
  if (direction === "FORWARD") {
    const seen = new Set();
    for (const d of trace.deliveries) {
      if (!nodes.has(d.itemId)) continue;
      const ship = `shipment:${d.shipmentId || d.eventId}`;
      const customer = `customer:${d.partnerId || d.destinationId}`;
      const depth = nodes.get(d.itemId).depth;
      if (!nodes.has(ship)) nodes.set(ship, { id: ship, type: "shipment", label: d.shipmentId || "shipment", depth: depth + 1, quantity: 0 });
      if (!nodes.has(customer)) nodes.set(customer, { id: customer, type: "customer", depth: depth + 2,
        label: d.partnerId || d.destinationId.replace(/^virtual:/, "") });
      nodes.get(ship).quantity += d.quantity || 0;
      for (const [s, t] of [[d.itemId, ship], [ship, customer]]) {
        if (seen.has(`${s}>${t}`)) continue;
        seen.add(`${s}>${t}`);
        links.push({ source: s, target: t, cls: "delivery" });
      }
    }
  }
  const away = new Map([...nodes.keys()].map((n) => [n, []]));
  for (const l of links) {
    if (direction === "FORWARD" || l.cls) away.get(l.source).push(l.target);
    else away.get(l.target).push(l.source);
  }
  return { rootId: id, direction, nodes, links, away, items: trace.items.length };
}

function worstStatus(counts) {
  return STATUS_WORST_FIRST.find((s) => counts[s]) || null;
}

function tally(members, key) {
  const counts = {};
  for (const m of members) {
    const k = m[key] || (key === "materialId" ? m.type : "—");
    counts[k] = (counts[k] || 0) + 1;
  }
  return counts;
}

// What is drawn: `shown` maps every node of the model to the node standing for it (itself, a
// group of siblings, or an aggregate); `drawn` holds those nodes' data.
function fold(model, expanded) {
  const shown = new Map();
  const drawn = new Map();
  if (model.items > AGGREGATE_ABOVE) {
    for (const n of model.nodes.values()) {
      if (n.root) { shown.set(n.id, n.id); drawn.set(n.id, { ...n, members: [n] }); continue; }
      const key = n.type === "item" ? `aggregate:${n.depth}:${n.materialId || "?"}` : `aggregate:${n.type}`;
      shown.set(n.id, key);
      if (!drawn.has(key)) drawn.set(key, { id: key, type: "aggregate", depth: n.depth, materialId: n.materialId,
        members: [] });
      drawn.get(key).members.push(n);
    }
    for (const d of drawn.values()) {
      if (d.type !== "aggregate") continue;
      const m = d.members[0];
      const what = m.type === "item" ? (m.materialId || "items") : `${m.type}s`;
      d.label = m.type === "item" ? `${d.members.length} × ${what}\ndepth ${d.depth}` : `${d.members.length} ${what}`;
      d.status = worstStatus(tally(d.members, "status"));
    }
    return { shown, drawn };
  }
  const groupOf = new Map(); // group id -> its members (direct children, then what hangs off them)
  const queue = [model.rootId];
  shown.set(model.rootId, model.rootId);
  while (queue.length) {
    const u = queue.shift();
    const kids = [...new Set(model.away.get(u) || [])].filter((k) => !shown.has(k));
    if (kids.length > GROUP_ABOVE && !expanded.has(u)) {
      const g = `group:${u}`;
      groupOf.set(g, { parent: u, children: kids.length, members: [] });
      for (const k of kids) shown.set(k, g);
    } else {
      for (const k of kids) { shown.set(k, k); queue.push(k); }
    }
  }
  // What lies beyond a group's members is inside the group too.
  for (const [g, info] of groupOf) {
    const inside = [...model.nodes.keys()].filter((n) => shown.get(n) === g);
    const stack = [...inside];
    while (stack.length) {
      const u = stack.pop();
      info.members.push(model.nodes.get(u));
      for (const k of model.away.get(u) || []) if (!shown.has(k)) { shown.set(k, g); stack.push(k); }
    }
  }
  for (const n of model.nodes.values()) {
    if (!shown.has(n.id)) shown.set(n.id, n.id); // reached by a way grouping does not walk
    if (shown.get(n.id) === n.id) drawn.set(n.id, { ...n, members: [n] });
  }
  for (const [g, info] of groupOf) {
    const beyond = info.members.length - info.children;
    const materials = Object.keys(tally(info.members.slice(0, info.children), "materialId"));
    const what = materials.length === 1 ? materials[0] : "items";
    drawn.set(g, { id: g, type: "group", parent: info.parent, members: info.members,
      label: `+${info.children} ${what}${beyond ? `\n(${beyond} beyond)` : ""}`, status: worstStatus(tally(info.members, "status")) });
  }
  return { shown, drawn };
}

function elementsOf(model, folded) {
  const elements = [];
  for (const d of folded.drawn.values()) {
    const classes = d.type === "item" ? (d.root ? "item root" : "item") : d.type;
    elements.push({ group: "nodes", classes, data: { id: d.id, label: d.label, status: d.status || undefined,
      kind: d.type, count: d.members.length } });
  }
  const edges = new Map();
  for (const l of model.links) {
    const s = folded.shown.get(l.source);
    const t = folded.shown.get(l.target);
    if (s === undefined || t === undefined || s === t) continue;
    const eid = `${l.cls ? "d" : "l"}:${s}>${t}`;
    if (edges.has(eid)) edges.get(eid).data.count += 1;
    else edges.set(eid, { group: "edges", classes: l.cls, data: { id: eid, source: s, target: t, count: 1 } });
  }
  return elements.concat([...edges.values()]);
}

function draw() {
  const { model, expanded } = current;
  const started = performance.now();
  const folded = fold(model, expanded);
  current.folded = folded;
  hideTip();
  cy.batch(() => {
    cy.elements().remove();
    cy.add(elementsOf(model, folded));
  });
  cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 10, rankSep: 70, edgeSep: 6, ranker: "network-simplex",
    nodeDimensionsIncludeLabels: true, padding: 20, fit: true, animate: false }).run();
  if (cy.zoom() > 1.2) { // a few nodes: not blown up
    cy.zoom(1.2);
    cy.center();
  } else if (cy.zoom() < 0.45 && cy.nodes().length > 1) { // too small to read: the root, legibly, and pan from there
    cy.zoom(0.8);
    cy.center(cy.getElementById(model.rootId));
  }
  redraws += 1;
  graphBox.dataset.nodes = cy.nodes().map((n) => n.id()).sort().join(" ");
  graphBox.dataset.redraws = String(redraws);
  graphBox.dataset.root = model.rootId;
  graphBox.dataset.view = model.items > AGGREGATE_ABOVE ? "aggregated" : folded.drawn.size < model.nodes.size ? "grouped" : "full";
  graphBox.dataset.drawMs = String(Math.round(performance.now() - started));
}

async function loadTrace(id, direction) {
  const { trace } = await query(TRACE, { id, direction });
  const model = buildModel(trace, id, direction);
  const same = current && current.id === id && current.direction === direction;
  current = { id, direction, model, nodes: new Set(model.nodes.keys()), expanded: same ? current.expanded : new Set() };
  draw();
  const notDrawn = direction === "BACKWARD" && trace.deliveries.length ? " (not drawn)" : "";
  const view = graphBox.dataset.view === "aggregated" ? ` — more than ${AGGREGATE_ABOVE}: one node per depth and material`
    : graphBox.dataset.view === "grouped" ? " — groups of many siblings: tap one to open it" : "";
  summary.textContent = trace.root
    ? `${direction.toLowerCase()} from ${id}: ${trace.items.length} items, ${trace.deliveries.length} deliveries${notDrawn}${view}`
    : `${id} is not in the ledger (yet)`;
}

function fmt(q) {
  return `${+Number(q).toFixed(3)}`;
}

function onHandText(onHand) {
  if (!onHand.length) return "none";
  const byUnit = {};
  for (const b of onHand) byUnit[b.unit] = (byUnit[b.unit] || 0) + b.quantity;
  const total = Object.entries(byUnit).map(([u, q]) => `${fmt(q)} ${u}`).join(" + ");
  return `${total} (${onHand.map((b) => `${fmt(b.quantity)} at ${b.locationId}`).join(", ")})`;
}

function counted(counts) {
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
}

function describe(d) {
  const rows = [];
  if (d.type === "item") {
    const status = d.classificationId && d.classificationId !== d.status ? `${d.classificationId} (as ${d.status})` : d.status || "unknown";
    rows.push(["item", d.id], ["status", status], ["kind", d.kind || "—"], ["material", d.materialId || "—"],
      ["on hand", onHandText(d.onHand || [])]);
    if (!d.root) rows.push(["depth", String(d.depth)]);
  } else if (d.type === "shipment") {
    rows.push(["shipment", d.label], ["quantity", fmt(d.quantity)]);
  } else if (d.type === "customer") {
    rows.push(["customer", d.label]);
  } else {
    const items = d.members.filter((m) => m.type === "item");
    const onHand = {};
    for (const m of items) for (const b of m.onHand || []) onHand[b.unit] = (onHand[b.unit] || 0) + b.quantity;
    rows.push([d.type === "group" ? "group" : "aggregate", `${d.members.length} nodes, ${items.length} items`]);
    if (items.length) {
      rows.push(["status", counted(tally(items, "status"))], ["kind", counted(tally(items, "kind"))],
        ["material", counted(tally(items, "materialId"))],
        ["on hand", Object.entries(onHand).map(([u, q]) => `${fmt(q)} ${u}`).join(" + ") || "none"]);
    }
    if (d.type === "group") rows.push(["", "tap to open"]);
  }
  return rows;
}

function showTip(node) {
  const d = current?.folded?.drawn.get(node.id());
  if (!d) return;
  const dl = document.createElement("dl");
  for (const [k, v] of describe(d)) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v;
    if (k === "status" && d.type === "item") dd.dataset.status = d.status || "";
    dl.append(dt, dd);
  }
  tip.replaceChildren(dl);
  tip.dataset.node = d.id;
  const p = node.renderedPosition();
  const box = graphBox.getBoundingClientRect();
  tip.style.left = `${Math.min(p.x + 16, box.width - 260)}px`;
  tip.style.top = `${Math.min(p.y + 16, box.height - 20)}px`;
  tip.hidden = false;
}

function hideTip() {
  tip.hidden = true;
  delete tip.dataset.node;
}

cy.on("mouseover", "node", (ev) => showTip(ev.target));
cy.on("mouseout", "node", hideTip);
cy.on("pan zoom", hideTip);
cy.on("tap", "node", (ev) => {
  const d = current?.folded?.drawn.get(ev.target.id());
  if (d && d.type === "group") {
    current.expanded.add(d.parent);
    draw();
  } else showTip(ev.target);
});
cy.on("tap", (ev) => { if (ev.target === cy) hideTip(); });
document.getElementById("graph-fit").addEventListener("click", () => cy.fit(undefined, 20));
document.getElementById("graph-collapse").addEventListener("click", () => {
  if (current) { current.expanded.clear(); draw(); }
});

function touchesTrace(e) {
  if (!current) return false;
  if (e.itemIds.some((i) => current.nodes.has(i))) return true;
  return (e.event?.links || []).some((l) => current.nodes.has(l.sourceId) || current.nodes.has(l.targetId));
}

function scheduleRedraw() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => current && loadTrace(current.id, current.direction).catch(console.error), 150);
}

function traceFailed(e) {
  summary.textContent = e.message;
}

document.getElementById("trace-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const id = document.getElementById("trace-id").value.trim();
  const direction = document.getElementById("trace-direction").value;
  const params = new URLSearchParams({ trace: id, direction });
  history.replaceState(null, "", `?${params}`);
  wanted = { id, direction };
  loadTrace(id, direction).catch(traceFailed);
});

// -- wiring ------------------------------------------------------------------------------------

const connection = document.getElementById("connection");

function setConnection(state, text) {
  connection.dataset.state = state;
  connection.textContent = text;
}

const live = new LiveSocket((state, code) => {
  setConnection(state, state === "live" ? "live" : `disconnected${code ? ` (${code})` : ""}, reconnecting…`);
});
window.tracegraph.live = live;

live.subscribe("events", `subscription($after: String) {
  eventRecorded(after: $after) { id type eventTime itemIds locationId event { links { sourceId targetId } } }
}`, () => ({ after: lastEventId }), (data) => {
  const e = data.eventRecorded;
  lastEventId = e.id;
  showEvent(e);
  if (touchesTrace(e)) scheduleRedraw();
});

live.subscribe("stock", `subscription { stockChanged { itemId locationId materialId unit delta } }`,
  () => ({}), (data) => changeStock(data.stockChanged));

live.subscribe("statuses", `subscription { itemStatusChanged { itemId toStatus toClassificationId } }`,
  () => ({}), (data) => {
    const c = data.itemStatusChanged;
    statuses.set(c.itemId, { status: c.toStatus, classificationId: c.toClassificationId });
    drawStock();
  });

live.onConnected.push(() => loadStock().catch(console.error)); // a fresh snapshot on every (re)connect

function begin() {
  keyRefused = false;
  keyForm.hidden = true;
  setConnection("connecting", "connecting…");
  live.start();
  if (wanted) loadTrace(wanted.id, wanted.direction).catch(traceFailed);
}

keyForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = document.getElementById("key-input");
  const key = input.value.trim();
  if (!key) return;
  localStorage.setItem(KEY_STORAGE, key);
  input.value = "";
  begin();
});

const params = new URLSearchParams(location.search);
if (params.get("trace")) {
  wanted = { id: params.get("trace"), direction: params.get("direction") || "FORWARD" };
  document.getElementById("trace-id").value = wanted.id;
  document.getElementById("trace-direction").value = wanted.direction;
}
if (apiKey()) {
  begin();
} else {
  setConnection("refused", "no key");
  askForKey("enter an API key (sent as Authorization: Bearer <key>)");
}
