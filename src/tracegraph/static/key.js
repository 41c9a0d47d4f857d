// The API key of tracegraph's pages, as the dashboard keeps it: from `?key=` (then kept in
// localStorage and taken out of the address bar) or from localStorage; without one, or when the
// server refuses it, the page says so and asks for another in its header form (#key-form,
// #key-message, #key-input). Shared with the dashboard through the same localStorage entry.
"use strict";

window.tracegraphKey = (() => {
  const STORAGE = "tracegraph.apiKey";
  const form = document.getElementById("key-form");
  const message = document.getElementById("key-message");
  const input = document.getElementById("key-input");
  let refused = false;
  const listeners = [];

  function get() {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get("key");
    if (fromUrl) {
      localStorage.setItem(STORAGE, fromUrl);
      params.delete("key");
      history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
    }
    return refused ? "" : localStorage.getItem(STORAGE) || "";
  }

  function ask(text) {
    message.textContent = text;
    form.hidden = false;
    input.focus();
  }

  function refuse(reason) {
    localStorage.removeItem(STORAGE);
    refused = true;
    ask(`the key was refused: enter another${reason ? ` (${reason})` : ""}`);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    localStorage.setItem(STORAGE, key);
    input.value = "";
    refused = false;
    form.hidden = true;
    for (const f of listeners) f(key);
  });

  return { get, ask, refuse, onKey: (f) => listeners.push(f) };
})();
