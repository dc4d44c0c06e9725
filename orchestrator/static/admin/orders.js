// Tendero dashboard operations: move orders after the sale, edit the catalog, see the
// notifications that were not sent. Loaded after dashboard.js and reuses its helpers
// ($, el, api, getJson, token, pesos, when, AuthError); runs on its "tendero:loaded" event.
// The allowed states come from the API (db/order_states.py owns them), never from here.
"use strict";

const NOTICE = {
  queued: "aviso enviado por WhatsApp",
  needs_template: "aviso NO enviado: fuera de la ventana de 24 h y sin plantilla aprobada",
  opted_out: "aviso NO enviado: el cliente pidió no recibir mensajes (BAJA)",
  recorded: "sin número de WhatsApp: aviso solo registrado",
};
const STATUS = {
  needs_template: "necesita plantilla",
  opted_out: "dado de baja",
  failed: "falló",
};
const ACTION = {
  pagada: "Marcar pagado", enviada: "Marcar enviado",
  entregada: "Marcar entregado", devuelta: "Registrar devolución",
};

async function send(method, path, body) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status === 401) throw new AuthError("Token inválido o vencido.");
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg).join("; ") : data.detail;
    throw new Error(detail || `HTTP ${res.status}`);
  }
  return data;
}

function actor() {
  const name = $("actor").value.trim();
  return name ? { actor: name } : {};
}

function noticeText(n, note) {
  // The API's notes are English; the staff reads Spanish.
  if (!n) return note && note.startsWith("notify was false") ? "sin aviso (no se pidió)" : "sin aviso: el pedido no tiene número de WhatsApp";
  const how = n.status === "queued" ? (n.content_sid ? "plantilla" : "texto") : null;
  return how ? `${NOTICE.queued} (${how})` : NOTICE[n.status] || n.status;
}

async function moveOrder(order, state) {
  const out = $("order-result");
  try {
    const r = await send("POST", `/orders/${order.id}/state`, { state, ...actor() });
    out.className = "notice";
    out.textContent = `Pedido #${r.order_id}: ${r.state_label} · ${noticeText(r.notification, r.notification_note)}`;
    out.dataset.status = r.notification ? r.notification.status : "none";
    await loadOperations();
  } catch (err) {
    out.className = "notice error";
    out.textContent = `Pedido #${order.id}: ${err.message}`;
  }
}

function renderOrders(page) {
  const body = $("orders");
  body.replaceChildren();
  if (!page.items.length) {
    const tr = el("tr"); tr.append(el("td", "muted", "Sin pedidos cerrados en el rango.")); body.append(tr);
  }
  for (const o of page.items) {
    const tr = el("tr");
    tr.dataset.order = o.id;
    const actions = el("td", "actions");
    for (const state of o.allowed_states) {
      const b = el("button", "small", ACTION[state] || state);
      b.type = "button";
      b.dataset.state = state;
      b.addEventListener("click", () => moveOrder(o, state));
      actions.append(b);
    }
    tr.append(el("td", null, `#${o.id}`), el("td", null, o.client_name || o.user_id),
      el("td", null, `$${pesos.format(o.total)}`), el("td", "state", o.state_label), actions);
    body.append(tr);
  }
}

async function saveProduct(p, tr) {
  const out = $("catalog-result");
  const change = {
    price: Number(tr.querySelector("[name=price]").value),
    stock: Number(tr.querySelector("[name=stock]").value),
    active: tr.querySelector("[name=active]").checked,
    ...actor(),
  };
  try {
    const r = await send("PATCH", `/products/${p.id}`, change);
    const what = r.changes.map((c) => `${c.field} ${c.old_value} → ${c.new_value}`).join(", ");
    const alerts = r.alerts.length ? ` · alerta de stock bajo: ${r.alerts.map((a) => noticeText(a)).join("; ")}` : "";
    out.className = "notice";
    out.textContent = `${r.product.name}: ${what || "sin cambios"}${alerts}`;
    await loadOperations();
  } catch (err) {
    out.className = "notice error";
    out.textContent = `${p.name}: ${err.message}`;
  }
}

function input(name, value, type) {
  const i = el("input");
  i.name = name; i.type = type;
  if (type === "checkbox") i.checked = value; else { i.value = value; i.min = "0"; i.step = "1"; }
  return i;
}

function renderCatalog(inv) {
  const body = $("catalog");
  body.replaceChildren();
  for (const p of inv.items) {
    const tr = el("tr", p.low_stock ? "low" : null);
    tr.dataset.product = p.id;
    const price = el("td"), stock = el("td"), active = el("td"), save = el("td");
    price.append(input("price", p.price, "number"));
    stock.append(input("stock", p.stock, "number"));
    active.append(input("active", p.active, "checkbox"));
    const b = el("button", "small", "Guardar");
    b.type = "button";
    b.addEventListener("click", () => saveProduct(p, tr));
    save.append(b);
    tr.append(el("td", null, p.sku), el("td", null, p.name), price, stock, active, save);
    body.append(tr);
  }
}

function renderNotifications(page) {
  const body = $("notifications");
  body.replaceChildren();
  if (!page.items.length) {
    const tr = el("tr"); tr.append(el("td", "muted", "Todo enviado.")); body.append(tr);
  }
  for (const n of page.items) {
    const tr = el("tr");
    tr.dataset.status = n.status;
    tr.append(el("td", null, when.format(new Date(n.created_at))), el("td", null, n.kind),
      el("td", null, n.to_number), el("td", "badge bad", STATUS[n.status] || n.status),
      el("td", null, n.body));
    body.append(tr);
  }
}

async function loadOperations() {
  const range = rangeQuery();
  const orders = new URLSearchParams([...range, ["page_size", "20"]]);
  for (const s of ["cerrada", "pagada", "enviada", "entregada"]) orders.append("state", s);
  const unsent = new URLSearchParams({ page_size: "20" });
  for (const s of ["needs_template", "opted_out", "failed"]) unsent.append("status", s);
  const [o, inv, n] = await Promise.all([
    getJson("/orders", orders),
    getJson("/inventory", new URLSearchParams({ page_size: "50" })),
    getJson("/notifications", unsent),
  ]);
  renderOrders(o);
  renderCatalog(inv);
  renderNotifications(n);
  document.body.dataset.operations = "ready";
}

document.addEventListener("tendero:loaded", () => {
  loadOperations().catch((err) => {
    if (err instanceof AuthError) return showLogin(err.message);
    $("load-error").textContent = `No se pudieron cargar los pedidos: ${err.message}`;
  });
});
