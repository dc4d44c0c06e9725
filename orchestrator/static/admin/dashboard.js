// Tendero shop dashboard: reads the admin JSON API with the shop's bearer token.
// No build step; Chart.js is vendored (static/admin/vendor/chart.umd.js).
// The token comes only from the login form and lives in this tab's sessionStorage; it is
// sent in the Authorization header, never in a URL (URLs end up in access logs).
"use strict";

const TOKEN_KEY = "tendero_admin_token";
const API = "/admin";
const charts = {};
const pesos = new Intl.NumberFormat("es-CO", { maximumFractionDigits: 0 });
const pct = new Intl.NumberFormat("es-CO", { style: "percent", maximumFractionDigits: 1 });
const when = new Intl.DateTimeFormat("es-CO", { dateStyle: "short", timeStyle: "short", timeZone: "UTC" });
const $ = (id) => document.getElementById(id);

class AuthError extends Error {}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function rangeQuery() {
  const q = new URLSearchParams();
  if ($("date-from").value) q.set("date_from", $("date-from").value);
  if ($("date-to").value) q.set("date_to", $("date-to").value);
  return q;
}

async function api(path, params) {
  const query = params && params.toString() ? `?${params}` : "";
  const res = await fetch(`${API}${path}${query}`, {
    headers: { Authorization: `Bearer ${token()}` },
  });
  if (res.status === 401) throw new AuthError("Token inválido o vencido.");
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res;
}

async function getJson(path, params) { return (await api(path, params)).json(); }

function drawChart(id, config) {
  if (charts[id]) charts[id].destroy();
  config.options = Object.assign(
    { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: false } } },
    config.options || {},
  );
  charts[id] = new Chart($(id), config);
}

const GREEN = "#0f9d58", BLUE = "#1a73e8", AMBER = "#f29900", PURPLE = "#8e24aa";

function renderDashboard(d) {
  $("shop-name").textContent = `· ${d.shop}`;
  $("kpi-orders").textContent = d.orders;
  $("kpi-revenue").textContent = `$${pesos.format(d.revenue)}`;
  $("kpi-aov").textContent = `$${pesos.format(d.average_order_value)}`;
  $("kpi-conversion").textContent =
    `${pct.format(d.conversion_rate)} (${d.users_with_closed_orders}/${d.users_with_conversations})`;
  const days = d.conversations_per_day;
  const turns = days.reduce((n, r) => n + r.turns, 0);
  const ok = days.reduce((n, r) => n + r.success_rate * r.turns, 0);
  $("kpi-turns").textContent = turns;
  $("kpi-success").textContent = turns ? pct.format(ok / turns) : "–";

  drawChart("chart-turns", { type: "bar", data: { labels: days.map((r) => r.day),
    datasets: [{ label: "Turnos", data: days.map((r) => r.turns), backgroundColor: BLUE }] } });
  drawChart("chart-success", { type: "line", data: { labels: days.map((r) => r.day),
    datasets: [{ label: "Éxito", data: days.map((r) => Math.round(r.success_rate * 1000) / 10),
      borderColor: GREEN, backgroundColor: GREEN, tension: 0.2 }] },
    options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } } } });
  drawChart("chart-intents", { type: "bar", data: { labels: d.intents.map((r) => r.intent),
    datasets: [{ label: "Turnos", data: d.intents.map((r) => r.turns), backgroundColor: PURPLE }] },
    options: { indexAxis: "y" } });
  drawChart("chart-revenue", { type: "bar", data: { labels: d.sales_per_day.map((r) => r.day),
    datasets: [{ label: "Ingresos", data: d.sales_per_day.map((r) => r.revenue), backgroundColor: GREEN }] },
    options: { scales: { y: { ticks: { callback: (v) => `$${pesos.format(v)}` } } } } });
  drawChart("chart-products", { type: "bar", data: { labels: d.top_products.map((p) => p.name),
    datasets: [{ label: "Ingresos", data: d.top_products.map((p) => p.revenue), backgroundColor: AMBER }] },
    options: { indexAxis: "y", scales: { x: { ticks: { callback: (v) => `$${pesos.format(v)}` } } } } });
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function renderConversations(page) {
  const list = $("conversations");
  list.replaceChildren();
  if (!page.items.length) list.append(el("li", "muted", "Sin conversaciones en el rango."));
  for (const c of page.items) {
    const li = el("li");
    li.dataset.user = c.user_id;
    li.append(el("div", "who", c.user_id),
      el("div", "last", `${c.turns} ${c.turns === 1 ? "turno" : "turnos"} · ${when.format(new Date(c.last_at))}`),
      el("div", "last", c.last_message));
    li.addEventListener("click", () => showTranscript(c.user_id, li));
    list.append(li);
  }
  return page.items;
}

async function showTranscript(userId, li) {
  for (const other of document.querySelectorAll(".conversations li")) other.classList.remove("active");
  if (li) li.classList.add("active");
  const box = $("transcript");
  const t = await getJson(`/conversations/${encodeURIComponent(userId)}`, rangeQuery());
  box.replaceChildren(el("h3", null, t.user_id));
  for (const turn of t.turns) {
    const div = el("div", "turn");
    div.append(el("div", "bubble user", turn.message));
    const meta = el("div", "meta", `${when.format(new Date(turn.created_at))} · `);
    meta.append(el("span", "badge", `${turn.intent || "sin intención"}${
      turn.confidence != null ? ` ${Math.round(turn.confidence * 100)}%` : ""}`));
    if (!turn.success || turn.error_type) meta.append(" ", el("span", "badge bad", turn.error_type || "falló"));
    div.append(meta);
    if (turn.final_reply) div.append(el("div", "bubble bot", turn.final_reply));
    box.append(div);
  }
  box.dataset.user = t.user_id;
}

function renderLowStock(inv) {
  $("low-threshold").textContent = `(≤ ${inv.low_stock_threshold} unidades: ${inv.low_stock_count})`;
  const body = $("low-stock");
  body.replaceChildren();
  for (const p of inv.items) {
    const tr = el("tr");
    tr.append(el("td", null, p.sku), el("td", null, p.name), el("td", p.stock === 0 ? "zero" : null, p.stock));
    body.append(tr);
  }
}

async function download(kind) {
  $("export-error").textContent = "";
  try {
    const res = await api(`/exports/${kind}`, kind === "inventario" ? null : rangeQuery());
    const blob = await res.blob();
    const name = (res.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = name ? name[1] : `${kind}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } catch (err) { $("export-error").textContent = err.message; }
}

function showLogin(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true; $("range").hidden = true; $("login").hidden = false;
  $("login-error").textContent = message || "";
  document.body.dataset.state = "login";
}

async function load() {
  if (!token()) return showLogin();
  document.body.dataset.state = "loading";
  $("load-error").textContent = "";
  try {
    const range = rangeQuery();
    const [dash, convs, inv] = await Promise.all([
      getJson("/dashboard", range),
      getJson("/conversations", new URLSearchParams([...range, ["page_size", "100"]])),
      getJson("/inventory", new URLSearchParams({ low_stock: "true", page_size: "20" })),
    ]);
    $("login").hidden = true; $("app").hidden = false; $("range").hidden = false;
    renderDashboard(dash);
    renderLowStock(inv);
    const items = renderConversations(convs);
    if (items.length) await showTranscript(items[0].user_id, $("conversations").firstChild);
    // orders.js (orders, catalog edits, notifications) loads its part on this event.
    document.dispatchEvent(new CustomEvent("tendero:loaded"));
    document.body.dataset.state = "ready";
  } catch (err) {
    if (err instanceof AuthError) return showLogin(err.message);
    $("load-error").textContent = `No se pudo cargar el panel: ${err.message}`;
    document.body.dataset.state = "error";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
    $("token-input").value = "";
    load();
  });
  $("range").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("logout").addEventListener("click", () => showLogin());
  for (const b of document.querySelectorAll("[data-export]")) {
    b.addEventListener("click", () => download(b.dataset.export));
  }
  load();
});
