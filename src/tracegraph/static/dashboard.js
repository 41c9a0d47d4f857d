// tracegraph live dashboard: plain JS, no build step. Queries over fetch (POST /graphql), live
// updates over the browser's WebSocket speaking graphql-transport-ws at /graphql.
"use strict";

const GRAPHQL = "/graphql";
const OVERFLOW_CLOSE_CODE = 4029; // the server dropped us for falling behind: resume with `after`
const FEED_MAX = 200;
const KEY_STORAGE = "tracegraph.apiKey";

// -- the API key -------------------------------------------------------------------------------
// Every request carries `Authorization: Bearer <key>`. The key comes from `?key=` (then kept in
// localStorage and taken out of the address bar), from localStorage, or is asked for once.

function apiKey() {
  const fromUrl = new URLSearchParams(location.search).get("key");
  if (fromUrl) {
    localStorage.setItem(KEY_STORAGE, fromUrl);
    const rest = new URLSearchParams(location.search);
    rest.delete("key");
    history.replaceState(null, "", rest.toString() ? `?${rest}` : location.pathname);
  }
  let key = localStorage.getItem(KEY_STORAGE);
  if (!key) {
    key = (window.prompt("tracegraph API key (sent as Authorization: Bearer <key>)") || "").trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
  }
  return key || "";
}

function forgetKey() {
  localStorage.removeItem(KEY_STORAGE);
}

async function query(text, variables = {}) {
  const response = await fetch(GRAPHQL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey()}` },
    body: JSON.stringify({ query: text, variables }),
  });
  if (response.status === 401) {
    forgetKey(); // asked for again on the next request
    throw new Error("the API key was refused: reload the page to enter another");
  }
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

// -- graphql-transport-ws ----------------------------------------------------------------------

class LiveSocket {
  constructor(onState) {
    this.onState = onState;
    this.subscriptions = new Map(); // id -> {query, variables(), onData}
    this.onConnected = [];
    this.connect();
  }

  connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${GRAPHQL}`;
    this.ws = new WebSocket(url, "graphql-transport-ws");
    this.ws.onopen = () => this.send({ type: "connection_init", payload: { Authorization: `Bearer ${apiKey()}` } });
    this.ws.onmessage = (m) => this.receive(JSON.parse(m.data));
    this.ws.onclose = (e) => {
      if (e.code === 4401 || e.code === 4403) forgetKey(); // refused: ask again on reconnecting
      this.onState("closed", e.code);
      setTimeout(() => this.connect(), e.code === OVERFLOW_CLOSE_CODE ? 0 : 1000);
    };
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  receive(message) {
    switch (message.type) {
      case "connection_ack":
        this.onState("live");
        for (const [id, s] of this.subscriptions) this.start(id, s);
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

  start(id, s) {
    this.send({ id, type: "subscribe", payload: { query: s.query, variables: s.variables() } });
  }

  subscribe(id, query, variables, onData) {
    const s = { query, variables, onData };
    this.subscriptions.set(id, s);
    if (this.ws.readyState === WebSocket.OPEN) this.start(id, s);
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

const stockBox = document.getElementById("stock");
const stock = new Map(); // locationId -> Map(itemId -> {quantity, unit, materialId})
const realLocations = new Map(); // id -> name (virtual locations are not stock on hand)

async function loadStock() {
  const data = await query(`{
    locations(first: 500) { nodes { id name isVirtual } }
    stock(includeVirtual: false, first: 500) { nodes { itemId locationId materialId quantity unit } }
  }`);
  realLocations.clear();
  for (const l of data.locations.nodes) if (!l.isVirtual) realLocations.set(l.id, l.name);
  stock.clear();
  for (const b of data.stock.nodes) setStock(b.locationId, b.itemId, b.quantity, b);
  drawStock();
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
    head.innerHTML = `<th colspan="3"></th>`;
    head.firstChild.textContent = realLocations.get(locationId) || locationId;
    for (const itemId of [...rows.keys()].sort()) {
      const r = rows.get(itemId);
      const tr = table.insertRow();
      tr.dataset.location = locationId;
      tr.dataset.item = itemId;
      tr.innerHTML = `<td></td><td></td><td class="qty"></td>`;
      tr.cells[0].textContent = itemId;
      tr.cells[1].textContent = r.materialId || "";
      tr.cells[2].textContent = `${+r.quantity.toFixed(3)} ${r.unit}`;
    }
  }
  stockBox.replaceChildren(table);
}

// -- trace graph -------------------------------------------------------------------------------

const STATUS_COLOURS = { RELEASED: "#2e9d5b", QC: "#e0b000", HOLD: "#e67e22", FAIL: "#c0392b", REWORK: "#8e44ad" };
const graphBox = document.getElementById("graph");
const summary = document.getElementById("trace-summary");
let current = null; // {id, direction, nodes: Set of item ids}
let redraws = 0;
let reloadTimer = null;

const cy = cytoscape({
  container: graphBox,
  maxZoom: 1.6,
  style: [
    { selector: "node", style: { label: "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 3,
      width: 26, height: 26, "background-color": "#999" } },
    ...Object.entries(STATUS_COLOURS).map(([s, c]) => ({ selector: `node[status="${s}"]`, style: { "background-color": c } })),
    { selector: "node.root", style: { "border-width": 4, "border-color": "#1d2430", width: 34, height: 34 } },
    { selector: "node.shipment", style: { shape: "diamond", "background-color": "#3b6fd8" } },
    { selector: "node.customer", style: { shape: "round-rectangle", "background-color": "#5d6b7e", width: 40 } },
    { selector: "edge", style: { width: 1.5, "line-color": "#aab3c2", "target-arrow-color": "#aab3c2",
      "target-arrow-shape": "triangle", "curve-style": "bezier" } },
    { selector: "edge.delivery", style: { "line-style": "dashed", "line-color": "#3b6fd8", "target-arrow-color": "#3b6fd8" } },
  ],
});
window.tracegraph = { cy };

const TRACE = `query($id: String!, $direction: TraceDirection!) {
  trace(id: $id, direction: $direction) {
    root { id status materialId }
    items { id depth item { id status materialId } }
    edges { source target }
    deliveries { itemId quantity eventId shipmentId partnerId destinationId }
  }
}`;

async function loadTrace(id, direction) {
  const { trace } = await query(TRACE, { id, direction });
  const elements = [];
  const nodes = new Set();
  const item = (i, root) => {
    nodes.add(i.id);
    elements.push({ group: "nodes", classes: root ? "item root" : "item",
      data: { id: i.id, label: i.id, status: i.item ? i.item.status : i.status, kind: "item" } });
  };
  item(trace.root || { id, status: null }, true);
  for (const i of trace.items) item(i, false);
  for (const e of trace.edges) {
    if (nodes.has(e.source) && nodes.has(e.target))
      elements.push({ group: "edges", data: { id: `l:${e.source}>${e.target}`, source: e.source, target: e.target } });
  }
  const seen = new Set();
  for (const d of trace.deliveries) {
    const ship = `shipment:${d.shipmentId || d.eventId}`;
    const customer = `customer:${d.partnerId || d.destinationId}`;
    for (const [nid, cls, label] of [[ship, "shipment", d.shipmentId || "shipment"],
                                     [customer, "customer", d.partnerId || d.destinationId.replace(/^virtual:/, "")]]) {
      if (!seen.has(nid)) {
        seen.add(nid);
        elements.push({ group: "nodes", classes: cls, data: { id: nid, label, kind: cls } });
      }
    }
    for (const [s, t] of [[d.itemId, ship], [ship, customer]]) {
      const eid = `d:${s}>${t}`;
      if (seen.has(eid)) continue;
      seen.add(eid);
      elements.push({ group: "edges", classes: "delivery", data: { id: eid, source: s, target: t } });
    }
  }
  cy.elements().remove();
  cy.add(elements);
  cy.layout({ name: "breadthfirst", directed: true, roots: [id], spacingFactor: 1.1, padding: 20 }).run();
  current = { id, direction, nodes };
  redraws += 1;
  graphBox.dataset.nodes = cy.nodes().map((n) => n.id()).sort().join(" ");
  graphBox.dataset.redraws = String(redraws);
  graphBox.dataset.root = id;
  summary.textContent = trace.root
    ? `${direction.toLowerCase()} from ${id}: ${trace.items.length} items, ${trace.deliveries.length} deliveries`
    : `${id} is not in the ledger (yet)`;
}

function touchesTrace(e) {
  if (!current) return false;
  if (e.itemIds.some((i) => current.nodes.has(i))) return true;
  return (e.event?.links || []).some((l) => current.nodes.has(l.sourceId) || current.nodes.has(l.targetId));
}

function scheduleRedraw() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => current && loadTrace(current.id, current.direction).catch(console.error), 150);
}

document.getElementById("trace-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const id = document.getElementById("trace-id").value.trim();
  const direction = document.getElementById("trace-direction").value;
  const params = new URLSearchParams({ trace: id, direction });
  history.replaceState(null, "", `?${params}`);
  loadTrace(id, direction).catch((e) => { summary.textContent = e.message; });
});

// -- wiring ------------------------------------------------------------------------------------

const connection = document.getElementById("connection");
const live = new LiveSocket((state, code) => {
  connection.dataset.state = state;
  connection.textContent = state === "live" ? "live" : `disconnected${code ? ` (${code})` : ""}, reconnecting…`;
});

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

live.onConnected.push(() => loadStock().catch(console.error)); // a fresh snapshot on every (re)connect

const params = new URLSearchParams(location.search);
if (params.get("trace")) {
  document.getElementById("trace-id").value = params.get("trace");
  document.getElementById("trace-direction").value = params.get("direction") || "FORWARD";
  loadTrace(params.get("trace"), params.get("direction") || "FORWARD").catch((e) => { summary.textContent = e.message; });
}
