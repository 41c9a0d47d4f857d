// A page of tracegraph that holds data (a label sheet, an item opened by scanning its label),
// opened in a browser, which cannot send the API key in a header by itself: the server sent this
// empty page. Like the dashboard, take the key from `?key=` (then kept in localStorage and taken out
// of the address bar), from localStorage, or ask for it once; then ask the same address again with
// `Authorization: Bearer <key>` and show the page the server rendered.
"use strict";

const KEY_STORAGE = "tracegraph.apiKey"; // shared with the dashboard

function apiKey() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("key");
  if (fromUrl) {
    localStorage.setItem(KEY_STORAGE, fromUrl);
    params.delete("key");
    history.replaceState(null, "", params.toString() ? `${location.pathname}?${params}` : location.pathname);
  }
  let key = localStorage.getItem(KEY_STORAGE);
  if (!key) {
    key = (window.prompt("tracegraph API key (sent as Authorization: Bearer <key>)") || "").trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
  }
  return key || "";
}

function show(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  document.title = doc.title;
  for (const style of doc.head.querySelectorAll("style")) document.head.appendChild(document.importNode(style, true));
  document.body.replaceWith(document.importNode(doc.body, true));
  for (const button of document.querySelectorAll("[data-print]")) button.addEventListener("click", () => window.print());
}

async function load() {
  const status = document.getElementById("status");
  const key = apiKey();
  if (!key) {
    status.textContent = "An API key is needed to open this page: reload it to enter one.";
    return;
  }
  const response = await fetch(location.pathname + location.search, {
    headers: { Authorization: `Bearer ${key}`, Accept: "text/html" },
  });
  if (response.status === 401) {
    localStorage.removeItem(KEY_STORAGE); // asked for again on the next load
    status.textContent = "The API key was refused: reload the page to enter another.";
    return;
  }
  show(await response.text());
}

load().catch((e) => {
  document.getElementById("status").textContent = `Could not load the page: ${e.message}`;
});
