// The human-handoff inbox: open handoffs first, the transcript, a reply box, "Tomar" and
// "Devolver al bot". Uses the dashboard's token (sessionStorage, Authorization header) and
// starts when the dashboard is ready (body[data-state="ready"]).
"use strict";

(() => {
  const KEY = "tendero_admin_token";
  const REFRESH_MS = 20000;
  const at = new Intl.DateTimeFormat("es-CO", { dateStyle: "short", timeStyle: "short", timeZone: "UTC" });
  const byId = (id) => document.getElementById(id);
  const REASONS = { requested: "pidió una persona", fallbacks: "el asistente no entendió", staff: "tomada por el equipo" };
  let current = null;
  let timer = null;

  function node(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  async function call(path, options) {
    const res = await fetch(`/admin${path}`, Object.assign({}, options, {
      headers: Object.assign({ Authorization: `Bearer ${sessionStorage.getItem(KEY)}` },
        options && options.body ? { "Content-Type": "application/json" } : {}),
    }));
    if (!res.ok) {
      let detail = `HTTP ${res.status}`;
      try { const body = await res.json(); detail = typeof body.detail === "string" ? body.detail : detail; } catch (_) { /* not JSON */ }
      throw new Error(detail);
    }
    return res.json();
  }

  function who(c) { return c.profile_name ? `${c.profile_name} · ${c.user_id}` : c.user_id; }

  function modeBadge(c) {
    return c.mode === "human"
      ? node("span", "badge human", `Atiende el equipo · ${REASONS[c.handoff ? c.handoff.reason : ""] || ""}`)
      : node("span", "badge botmode", "Atiende el asistente");
  }

  async function loadList() {
    byId("inbox-error").textContent = "";
    try {
      const page = await call("/inbox?page_size=100");
      const list = byId("inbox-list");
      list.replaceChildren();
      const open = page.items.filter((c) => c.mode === "human").length;
      byId("inbox-open").textContent = `(${open} ${open === 1 ? "abierta" : "abiertas"})`;
      if (!page.items.length) list.append(node("li", "muted", "Todavía no hay conversaciones."));
      for (const c of page.items) {
        const li = node("li", c.id === current ? "active" : null);
        li.dataset.conversation = c.id;
        li.append(node("div", "who", `#${c.id} · ${who(c)}`), modeBadge(c),
          node("div", "last", `${at.format(new Date(c.last_message_at))} · ${c.last_message || ""}`));
        li.addEventListener("click", () => show(c.id));
        list.append(li);
      }
      if (current === null && page.items.length && page.items[0].mode === "human") await show(page.items[0].id);
    } catch (err) { byId("inbox-error").textContent = `Bandeja: ${err.message}`; }
  }

  async function show(id) {
    current = id;
    for (const li of byId("inbox-list").children) li.classList.toggle("active", li.dataset.conversation === String(id));
    const c = await call(`/inbox/${id}`);
    const box = byId("inbox-thread");
    const head = node("div", "head");
    const title = node("h3", null, `#${c.id} · ${who(c)} `);
    title.append(modeBadge(c));
    const actions = node("div", "actions");
    const toggle = node("button", "secondary", c.mode === "human" ? "Devolver al bot" : "Tomar conversación");
    toggle.type = "button";
    toggle.id = "inbox-toggle";
    toggle.addEventListener("click", () => act(`/inbox/${c.id}/${c.mode === "human" ? "release" : "take"}`, null));
    actions.append(toggle);
    head.append(title, actions);
    const messages = node("div", "messages");
    for (const m of c.messages) {
      const cls = m.sender === "shopper" ? `user${m.mode === "human" ? " human" : ""}` : m.sender;
      messages.append(node("div", `bubble ${cls}`, m.text));
      const label = m.sender === "staff" ? `${m.author || "equipo"}` : m.sender === "bot" ? "asistente" : "cliente";
      messages.append(node("div", `meta${m.sender === "shopper" ? "" : " bot"}`,
        `${label} · ${at.format(new Date(m.at))}${m.success ? "" : " · no se pudo enviar"}`));
    }
    const form = node("form");
    form.id = "inbox-reply";
    const text = node("textarea");
    text.name = "text"; text.required = true; text.maxLength = 1600;
    text.placeholder = "Escribe tu respuesta (le llega por WhatsApp desde el número de la tienda)";
    const author = node("input");
    author.name = "author"; author.maxLength = 60; author.placeholder = "Tu nombre";
    author.value = sessionStorage.getItem("tendero_inbox_author") || "";
    const send = node("button", null, "Enviar");
    send.type = "submit";
    form.append(text, author, send);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = { text: text.value };
      if (author.value.trim()) { body.author = author.value.trim(); sessionStorage.setItem("tendero_inbox_author", body.author); }
      act(`/inbox/${c.id}/reply`, body);
    });
    box.replaceChildren(head, messages, form);
    messages.scrollTop = messages.scrollHeight;
  }

  async function act(path, body) {
    byId("inbox-error").textContent = "";
    try {
      const result = await call(path, { method: "POST", body: body ? JSON.stringify(body) : undefined });
      if (result.sent === false) byId("inbox-error").textContent = `No se pudo enviar: ${result.error || result.status}`;
      await loadList();
      if (current !== null) await show(current);
    } catch (err) { byId("inbox-error").textContent = `No se pudo: ${err.message}`; }
  }

  function start() {
    if (timer !== null) return;
    loadList();
    timer = setInterval(loadList, REFRESH_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    byId("inbox-refresh").addEventListener("click", loadList);
    const watch = () => { if (document.body.dataset.state === "ready") start(); };
    new MutationObserver(watch).observe(document.body, { attributes: true, attributeFilter: ["data-state"] });
    watch();
  });
})();
