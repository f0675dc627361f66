// edge-dhcp dashboard. Plain JavaScript, no framework, nothing from another host.
// Reads api/summary, api/leases and api/events (edge/dashboard/api.py), which the server builds from its
// control commands; the two buttons post to api/lease-del and api/config-reload. Polls only while the
// tab is visible: a closed or hidden page costs the server nothing.
"use strict";

const SUMMARY_EVERY = 5000;
const EVENTS_EVERY = 2000;
const PAGE_SIZE = 50;
const EVENTS_KEPT = 200;
const LEASE_RELOAD_GAP = 3000; // ms: the least time between two reads of the lease table caused by events

const state = {
  summary: null,
  family: null, // the family whose leases the table pages through
  starts: ["start"], // where each page seen so far began: the way back
  next: null,
  leases: [],
  leasesAt: 0, // the server's clock when the leases were read, and ours
  clockSkew: 0,
  search: "",
  sort: { key: "address", dir: 1 },
  cursor: "",
  seenEvents: new Set(),
  timers: [],
  lastLeaseReload: 0,
  leaseReload: null,
  leaseView: "", // which list the table shows: a new lease in the same list is highlighted
};

// ------------------------------------------------------------------------------------------- helpers
const $ = (selector) => document.querySelector(selector);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, body) {
  const options = body === undefined
    ? { cache: "no-store" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const reply = await fetch(path, options);
  let data = {};
  try { data = await reply.json(); } catch (_) { /* not JSON: an error page from something in between */ }
  if (!reply.ok) throw new Error(data.text || `${reply.status} ${reply.statusText}`);
  return data;
}

function serverNow() { return Date.now() / 1000 + state.clockSkew; }

function duration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60), s = seconds % 60;
  if (m < 60) return `${m}m ${String(s).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const ago = (stamp) => stamp ? `${duration(serverNow() - stamp)} ago` : "never";
const number = (n) => Number(n || 0).toLocaleString();

function toast(text, bad) {
  const note = el("div", { class: bad ? "toast bad" : "toast", role: bad ? "alert" : "status", text });
  $("#toasts").append(note);
  setTimeout(() => note.remove(), bad ? 9000 : 5000);
}

function confirmDialog(title, text, okLabel) {
  const dialog = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

// ------------------------------------------------------------------------------------------- status
function familyHealth(family) {
  const sockets = (family.status.sockets || {}).status || "unknown";
  if (sockets === "failed") return ["bad", `${family.label}: sockets failed`];
  if (sockets === "retrying") return ["warn", `${family.label}: sockets retrying`];
  if (family.store["write-errors"]) return ["warn", `${family.label}: lease store write errors`];
  return ["ok", "serving"];
}

// Kea 2.4+'s status-get "high-availability" (a list of relationships with ha-servers.local/remote) or
// ha-heartbeat's arguments ({"state": ...}).
function haText(ha) {
  return (Array.isArray(ha) ? ha : [ha]).map((item) => {
    const servers = item["ha-servers"] || {};
    const local = servers.local || {}, remote = servers.remote || {};
    const state = local.state || item.state;
    const partner = remote["last-state"] ? `partner ${remote["last-state"]}` : "";
    return [state, item["ha-mode"], partner].filter(Boolean).join(" · ") || item.text || JSON.stringify(item);
  }).join("; ");
}

function renderStatus(summary) {
  const rank = { ok: 0, warn: 1, bad: 2 };
  let worst = ["ok", "serving"];
  const cards = summary.families.map((family) => {
    const health = familyHealth(family);
    if (rank[health[0]] > rank[worst[0]]) worst = health;
    const status = family.status, store = family.store, packets = family.packets;
    const sockets = status.sockets || {};
    const socketText = el("span", { class: { ready: "good", retrying: "warning", failed: "error" }[sockets.status] || "", text: sockets.status || "?" });
    const facts = [
      ["Sockets", [socketText, ...(sockets.errors || []).map((e) => el("div", { class: "error", text: e }))]],
      ["Up for", duration(status.uptime || 0)],
      ["Configuration", `applied ${duration(status.reload || 0)} ago`],
      ["Lease store", [
        el("span", { class: store["write-errors"] ? "error" : "", text: `${number(store["write-errors"])} write error(s)` }),
        `, last compaction ${ago(store["last-compaction"])}`,
        store["compaction-failures"] ? el("span", { class: "error", text: ` (${store["compaction-failures"]} failed)` }) : null,
      ]],
      ["Packets", `${number(packets.received)} in · ${number(packets.sent)} out · ${number(packets["drop-received"])} dropped`],
    ];
    if (family.ha) facts.push(["HA", haText(family.ha)]);
    return el("section", { class: "card", "data-family": family.service },
      el("h2", {}, family.label, " ", el("span", { class: "tag", text: `pid ${status.pid ?? "?"}` })),
      el("dl", { class: "facts" }, facts.map(([name, value]) => [el("dt", { text: name }), el("dd", {}, value)])));
  });
  $("#status").replaceChildren(...cards);
  const pill = $("#health");
  pill.className = `pill ${worst[0]}`;
  pill.textContent = worst[1];
  $("#version").textContent = summary.version ? `v${summary.version}` : "";
}

// ------------------------------------------------------------------------------------------- pools
function usageRow(usage) {
  const total = usage.total || 0, assigned = usage.assigned || 0, declined = usage.declined || 0;
  const share = total ? assigned / total : 0;
  const meter = el("div", {
    class: `meter${share >= 0.95 ? " full" : share >= 0.8 ? " high" : ""}`,
    role: "meter", "aria-valuemin": 0, "aria-valuemax": total, "aria-valuenow": assigned,
    "aria-label": `${usage.name}: ${assigned} of ${total} assigned`,
  });
  const used = el("span", { class: "used" });
  used.style.width = `${total ? (100 * Math.max(0, assigned - declined)) / total : 0}%`;
  const bad = el("span", { class: "declined", title: `${declined} declined` });
  bad.style.width = `${total ? (100 * declined) / total : 0}%`;
  meter.append(used, bad);
  const pct = total ? ` (${(100 * share).toFixed(share < 0.1 && share > 0 ? 1 : 0)}%)` : "";
  return el("div", { class: "usage" },
    el("span", { class: "what", text: usage.name }),
    meter,
    el("span", { class: "nums" }, `${number(assigned)} / ${number(total)}${pct}`,
      declined ? el("span", { class: "warning", text: ` · ${number(declined)} declined` }) : null));
}

function subnetBlock(subnet) {
  return el("div", { class: "subnet", "data-subnet": subnet.id },
    el("div", { class: "title" }, el("b", { text: subnet.prefix }), el("span", { class: "tag", text: `id ${subnet.id}` })),
    subnet.resources.map((usage) => [
      usageRow(usage),
      usage.pools.length ? el("ul", { class: "pools" }, usage.pools.map((pool) =>
        el("li", {}, pool.pool, pool.size ? ` — ${number(pool.size)}` : "",
          pool.total !== undefined ? ` · ${number(pool.assigned)} assigned` : ""))) : null,
    ]));
}

function renderPools(summary) {
  const blocks = [];
  for (const family of summary.families) {
    const inNetwork = new Set(family.networks.flatMap((n) => n.subnets));
    const byId = new Map(family.subnets.map((s) => [s.id, s]));
    const parts = [];
    if (summary.families.length > 1) parts.push(el("h3", { class: "family", text: family.label }));
    for (const total of family.totals) if (family.subnets.length > 1) parts.push(usageRow({ ...total, name: "in all" }));
    for (const network of family.networks) {
      parts.push(el("div", { class: "network", "data-network": network.name },
        el("div", { class: "title" }, el("b", { text: network.name }), " ", el("span", { class: "tag", text: "shared network" })),
        network.resources.map(usageRow),
        network.subnets.map((id) => byId.has(id) ? subnetBlock(byId.get(id)) : null)));
    }
    for (const subnet of family.subnets) if (!inNetwork.has(subnet.id)) parts.push(subnetBlock(subnet));
    if (!family.subnets.length) parts.push(el("p", { class: "muted", text: `${family.label}: no subnet configured.` }));
    blocks.push(el("div", { "data-family": family.service }, parts));
  }
  $("#pools").replaceChildren(...blocks);
}

// ------------------------------------------------------------------------------------------- leases
function expiresText(lease) {
  if (lease.state === "released") return "released";
  if (lease.state === "expired-reclaimed") return "reclaimed";
  const left = lease.expires - serverNow();
  return left > 0 ? duration(left) : `expired ${duration(-left)} ago`;
}

const SORT_KEYS = {
  address: (l) => addressKey(l.address),
  client: (l) => l.client, hostname: (l) => l.hostname.toLowerCase(), subnet: (l) => l["subnet-id"],
  expires: (l) => l.expires, state: (l) => l.state,
};

function addressKey(text) {
  if (text.includes(".")) return text.split(".").map((p) => p.padStart(3, "0")).join(".");
  const [head, tail] = text.split("/")[0].split("::");
  const expand = (part) => (part ? part.split(":") : []);
  const left = expand(head), right = expand(tail);
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return "z" + groups.map((g) => g.padStart(4, "0")).join(":");
}

function renderLeases(fresh) {
  const { key, dir } = state.sort;
  const pick = SORT_KEYS[key];
  const rows = [...state.leases].sort((a, b) => (pick(a) < pick(b) ? -dir : pick(a) > pick(b) ? dir : 0));
  const canRelease = new Set((state.summary?.families || []).filter((f) => f.actions.some((a) => a.endsWith("-del"))).map((f) => f.service));
  const body = rows.map((lease) => el("tr", { "data-address": lease.address, "data-family": lease.family, class: fresh.has(lease.address) ? "fresh" : null },
    el("td", { class: "address", "data-label": "Address" }, lease.address, lease.type === "IA_PD" ? el("span", { class: "tag", text: "prefix" }) : null),
    el("td", { class: "client", "data-label": "Client", text: lease.client || "—" }),
    el("td", { class: "hostname", "data-label": "Hostname", text: lease.hostname || "—" }),
    el("td", { class: "subnet", "data-label": "Subnet", text: lease["subnet-id"] }),
    el("td", { class: "expires", "data-label": "Expires in", text: expiresText(lease) }),
    el("td", { class: "state", "data-label": "State", text: lease.state }),
    el("td", { class: "actions" }, canRelease.has(lease.family)
      ? el("button", { type: "button", class: "small ghost-danger release", "data-address": lease.address, onclick: () => release(lease) }, "Release")
      : null)));
  if (!body.length) body.push(el("tr", {}, el("td", { colspan: 7, class: "muted", text: state.search ? `No lease matches “${state.search}”.` : "No leases." })));
  $("#leases tbody").replaceChildren(...body);
  for (const th of document.querySelectorAll("th[data-sort]")) {
    th.setAttribute("aria-sort", th.dataset.sort === key ? (dir > 0 ? "ascending" : "descending") : "none");
  }
}

function tickExpiries() {
  const cells = document.querySelectorAll("#leases td.expires");
  const byAddress = new Map(state.leases.map((l) => [l.address, l]));
  for (const cell of cells) {
    const lease = byAddress.get(cell.parentElement.dataset.address);
    if (lease) cell.textContent = expiresText(lease);
  }
}

async function loadLeases() {
  const view = state.search ? `q:${state.search}` : `${state.family}:${state.starts[state.starts.length - 1]}`;
  const previous = new Set(view === state.leaseView ? state.leases.map((l) => l.address) : []);
  let data;
  try {
    if (state.search) {
      data = await api(`api/leases?q=${encodeURIComponent(state.search)}`);
    } else {
      const from = state.starts[state.starts.length - 1];
      data = await api(`api/leases?family=${encodeURIComponent(state.family)}&from=${encodeURIComponent(from)}&limit=${PAGE_SIZE}`);
    }
  } catch (error) {
    $("#lease-note").textContent = `Leases could not be read: ${error.message}`;
    return;
  }
  state.clockSkew = data.now - Date.now() / 1000;
  state.leases = data.leases;
  state.next = data.next;
  state.lastLeaseReload = Date.now();
  const fresh = new Set(view === state.leaseView ? data.leases.map((l) => l.address).filter((a) => !previous.has(a)) : []);
  state.leaseView = view;
  renderLeases(fresh);
  const page = state.starts.length;
  $("#page").textContent = state.search ? `${data.leases.length} found` : `page ${page}`;
  $("#prev").disabled = !!state.search || page === 1;
  $("#next").disabled = !!state.search || !state.next;
  $("#clear").hidden = !state.search;
  const family = (state.summary?.families || []).find((f) => f.service === state.family);
  const held = family ? family.totals.reduce((sum, t) => sum + (t.assigned || 0), 0) : 0;
  $("#lease-note").textContent = state.search
    ? `Exact matches for “${state.search}” (${data.kind === "name" ? "hostname" : data.kind}) in every family.`
    : `${number(held)} assigned in ${family ? family.label : ""}; ${PAGE_SIZE} a page in address order` +
      " (sorting a column sorts this page).";
}

async function release(lease) {
  const what = lease.type === "IA_PD" ? "prefix" : "address";
  const ok = await confirmDialog(`Release ${lease.address}?`,
    `The lease of ${lease.client || "this client"}${lease.hostname ? ` (${lease.hostname})` : ""} is deleted ` +
    `(${lease.family === "dhcp6" ? "lease6-del" : "lease4-del"}). The client keeps the ${what} until it next ` +
    "asks the server, and then gets a fresh allocation.", "Release");
  if (!ok) return;
  try {
    const answer = await api("api/lease-del", { family: lease.family, address: lease.address, type: lease.type });
    toast(answer.text || "done", answer.result !== 0);
  } catch (error) {
    toast(`Release failed: ${error.message}`, true);
  }
  await Promise.all([loadLeases(), pollEvents(), loadSummary()]);
}

async function reloadConfig() {
  const ok = await confirmDialog("Reload the configuration?",
    "The configuration file is read again (config-reload). All or nothing: if it has an error, the " +
    "running configuration stays in service and the error is shown.", "Reload");
  if (!ok) return;
  try {
    const answer = await api("api/config-reload", {});
    toast(answer.text || "done", answer.result !== 0);
  } catch (error) {
    toast(`Reload failed: ${error.message}`, true);
  }
  await Promise.all([loadSummary(), pollEvents()]);
}

// ------------------------------------------------------------------------------------------- events
const KIND_TEXT = {
  allocate: "allocated", renew: "renewed", release: "released", decline: "declined", expire: "expired",
  delete: "deleted", nak: "NAK", reload: "reload", "reload-failed": "reload failed",
};

function eventItem(event) {
  const when = new Date(event.time * 1000);
  const text = [event.address, event.client, event.hostname ? `“${event.hostname}”` : null, event.text].filter(Boolean).join("  ");
  return el("li", { "data-kind": event.kind, "data-address": event.address || null, "data-family": event.family },
    el("time", { datetime: when.toISOString(), title: when.toLocaleString(), text: when.toLocaleTimeString([], { hour12: false }) }),
    el("span", { class: `kind ${event.kind}`, text: KIND_TEXT[event.kind] || event.kind }),
    el("span", { class: "what", text: (state.summary?.families.length > 1 ? `${event.family === "dhcp6" ? "v6" : "v4"} ` : "") + text }));
}

async function pollEvents() {
  let data;
  try {
    data = await api(`api/events${state.cursor ? `?after=${encodeURIComponent(state.cursor)}` : ""}`);
  } catch (_) {
    return;
  }
  state.cursor = data.after;
  const list = $("#events");
  const fresh = data.events.filter((e) => !state.seenEvents.has(`${e.family}:${e.seq}`));
  if (!fresh.length) return;
  if (list.firstElementChild?.classList.contains("muted")) list.replaceChildren();
  for (const event of fresh) {
    state.seenEvents.add(`${event.family}:${event.seq}`);
    list.prepend(eventItem(event));
  }
  while (list.children.length > EVENTS_KEPT) list.lastElementChild.remove();
  // A lease moved: show it, but read the table at most every few seconds on a busy network.
  if (fresh.some((e) => e.address)) scheduleLeaseReload();
}

function scheduleLeaseReload() {
  if (state.leaseReload) return;
  const wait = Math.max(0, LEASE_RELOAD_GAP - (Date.now() - state.lastLeaseReload));
  state.leaseReload = setTimeout(() => { state.leaseReload = null; loadLeases(); }, wait);
}

// ------------------------------------------------------------------------------------------- summary
async function loadSummary() {
  try {
    const summary = await api("api/summary");
    state.summary = summary;
    state.clockSkew = summary.now - Date.now() / 1000;
    renderStatus(summary);
    renderPools(summary);
    const select = $("#family");
    const services = summary.families.map((f) => f.service);
    if (!state.family || !services.includes(state.family)) state.family = services[0] || "dhcp4";
    select.hidden = services.length < 2;
    if (select.options.length !== services.length) {
      select.replaceChildren(...summary.families.map((f) => el("option", { value: f.service, text: f.label })));
      select.value = state.family;
    }
    $("#reload").hidden = !summary.families.some((f) => f.actions.includes("config-reload"));
    return summary;
  } catch (error) {
    const pill = $("#health");
    pill.className = "pill bad";
    pill.textContent = `unreachable: ${error.message}`;
    return null;
  }
}

// ------------------------------------------------------------------------------------------- wiring
function start() {
  stop();
  state.timers.push(setInterval(loadSummary, SUMMARY_EVERY), setInterval(pollEvents, EVENTS_EVERY), setInterval(tickExpiries, 1000));
  $("#live").classList.remove("paused");
}

function stop() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  $("#live").classList.add("paused");
}

document.addEventListener("DOMContentLoaded", async () => {
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.search = $("#search").value.trim();
    state.starts = ["start"];
    loadLeases();
  });
  $("#clear").addEventListener("click", () => { $("#search").value = ""; state.search = ""; state.starts = ["start"]; loadLeases(); });
  $("#next").addEventListener("click", () => { if (state.next) { state.starts.push(state.next); loadLeases(); } });
  $("#prev").addEventListener("click", () => { if (state.starts.length > 1) { state.starts.pop(); loadLeases(); } });
  $("#family").addEventListener("change", (event) => { state.family = event.target.value; state.starts = ["start"]; loadLeases(); });
  $("#reload").addEventListener("click", reloadConfig);
  $("#sort").addEventListener("change", (event) => { state.sort = { key: event.target.value, dir: 1 }; renderLeases(new Set()); });
  for (const th of document.querySelectorAll("th[data-sort]")) {
    th.addEventListener("click", () => {
      const key = th.dataset.sort;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
      renderLeases(new Set());
    });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) stop();
    else { start(); loadSummary(); pollEvents(); }
  });
  await loadSummary();
  await Promise.all([loadLeases(), pollEvents()]);
  start();
  document.body.dataset.ready = "1";
});
