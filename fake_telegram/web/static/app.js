// Legal-aid bot sandbox page: one Telegram-like chat pane per person, kept live by
// server-sent events. Plain ES module, no build step. Everything typed or pressed here is
// sent to /api/..., where the emulator turns it into a real Bot API update for the bot.

const $ = (selector, root = document) => root.querySelector(selector);
const OPEN_KEY = "legal-aid-sandbox.open";
const GROUP_TITLES = { owners: "Enterprise owners", staff: "Programme staff", others: "Others", added: "Added here" };
const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774", "#5caffa"];

const app = {
  bot: { username: "", name: "Bot" },
  people: new Map(), // id -> person
  panes: new Map(), // id -> Pane (open panes only)
  unread: new Map(), // id -> count
  refusals: [],
  intro: {},
  lastFocused: null,
};

// == small helpers ===========================================================================
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

async function api(path, body, method) {
  const options = { method: method || (body === undefined ? "GET" : "POST") };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.description || `${response.status} ${response.statusText}`);
  return data;
}

function avatar(person) {
  const initial = Array.from(person.name.trim())[0] || "?";
  return el("span", { class: "avatar", style: `background:${COLORS[Math.abs(person.id) % COLORS.length]}`, text: initial.toUpperCase() });
}

function time(seconds) {
  const d = new Date(seconds * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function openIds() {
  try {
    const saved = JSON.parse(localStorage.getItem(OPEN_KEY));
    if (Array.isArray(saved)) return new Set(saved);
  } catch { /* first visit */ }
  return null;
}

function saveOpenIds() {
  localStorage.setItem(OPEN_KEY, JSON.stringify([...app.panes.keys()]));
}

// == rendering Telegram's entities ===========================================================
const URL_OR_COMMAND = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]）。，；：！？])|(^|[\s(（])(\/[a-zA-Z0-9_]{1,32})(?![\w@/])/g;

function appendPlain(parent, text, pane, linkify) {
  if (!linkify) { parent.append(text); return; }
  let last = 0;
  for (const match of text.matchAll(URL_OR_COMMAND)) {
    const start = match.index + (match[2] ? match[2].length : 0);
    const value = match[1] || match[3];
    parent.append(text.slice(last, start));
    if (match[1]) parent.append(linkNode(value, value, pane));
    else parent.append(el("a", { href: "#", class: "command", onclick: (e) => { e.preventDefault(); pane.sendText(value); } }, value));
    last = start + value.length;
  }
  parent.append(text.slice(last));
}

function linkNode(label, url, pane) {
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", onclick: (e) => { if (openLink(url, pane)) e.preventDefault(); } }, label);
}

function entityNode(entity, text, pane) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const node = el("span", { class: "spoiler", title: "Spoiler: click to show" });
      node.addEventListener("click", () => node.classList.add("revealed"));
      return node;
    }
    case "text_link": return linkNode("", entity.url, pane);
    case "url": return linkNode("", text, pane);
    case "bot_command": return el("a", { href: "#", class: "command", onclick: (e) => { e.preventDefault(); pane.sendText(text); } });
    default: return el("span", { class: `entity-${entity.type}` });
  }
}

function renderText(text, entities, pane) {
  const root = el("div", { class: "text" });
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const NO_LINKS = new Set(["code", "pre", "text_link", "url", "bot_command"]);
  const build = (start, end, list, parent, linkify) => {
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const entity = list[i];
      if (entity.offset < pos) { i += 1; continue; } // overlapping entities are not nested: skip
      const stop = Math.min(entity.offset + entity.length, end);
      if (entity.offset > pos) appendPlain(parent, text.slice(pos, entity.offset), pane, linkify);
      const inner = [];
      let j = i + 1;
      while (j < list.length && list[j].offset < stop) {
        if (list[j].offset + list[j].length <= stop) inner.push(list[j]);
        j += 1;
      }
      const node = entityNode(entity, text.slice(entity.offset, stop), pane);
      build(entity.offset, stop, inner, node, linkify && !NO_LINKS.has(entity.type));
      parent.append(node);
      pos = stop;
      i = j;
    }
    if (pos < end) appendPlain(parent, text.slice(pos, end), pane, linkify);
  };
  build(0, text.length, sorted, root, true);
  return root;
}

// == links and deep links ====================================================================
function deepLink(url) {
  // t.me/<bot>?start=<payload> (or tg://resolve?domain=<bot>&start=...) of this bot.
  let parsed;
  try { parsed = new URL(url); } catch { return null; }
  const bot = app.bot.username.toLowerCase();
  if (parsed.protocol === "tg:" && parsed.hostname === "resolve") {
    if ((parsed.searchParams.get("domain") || "").toLowerCase() !== bot) return null;
  } else if (/^(www\.)?(t|telegram)\.me$/.test(parsed.hostname)) {
    if (parsed.pathname.replace(/^\//, "").replace(/\/$/, "").toLowerCase() !== bot) return null;
  } else return null;
  return { start: parsed.searchParams.get("start") };
}

function openLink(url, pane) {
  const link = deepLink(url);
  if (!link) return false; // an ordinary link: the browser opens it in a new tab
  const text = link.start ? `/start ${link.start}` : "/start";
  const chooser = $("#chooser");
  $(".chooser-link", chooser).textContent = url;
  const list = $(".chooser-people", chooser);
  list.replaceChildren();
  const people = [...app.people.values()].sort((a, b) => (b.id === pane?.person.id) - (a.id === pane?.person.id));
  for (const person of people) {
    list.append(el("button", { type: "button", class: "person", onclick: () => { chooser.hidden = true; openPane(person.id, true).sendText(text); } },
      avatar(person), el("span", { class: "who" }, el("span", { class: "name", text: person.name }), el("span", { class: "role", text: person.role || person.language_code }))));
  }
  chooser.hidden = false;
  return true;
}

// == a chat pane =============================================================================
class Pane {
  constructor(person) {
    this.person = person;
    this.messages = new Map(); // id -> view
    this.nodes = new Map(); // id -> element
    this.replyTo = null;
    this.keyboardHidden = false;
    const node = $("#pane-template").content.firstElementChild.cloneNode(true);
    node.dataset.person = person.id;
    this.node = node;
    this.list = $(".messages", node);
    this.input = $("textarea", node);
    this.menu = $(".menu-popup", node);
    this.keyboard = $(".reply-keyboard", node);
    this.toastNode = $(".toast", node);
    this.alertNode = $(".alert", node);
    $(".pane-head", node).replaceChild(avatar(person), $(".avatar", node));
    $(".pane-name", node).textContent = person.name;
    $(".pane-role", node).textContent = person.role || `client language ${person.language_code}`;
    $(".pane-close", node).addEventListener("click", () => closePane(person.id));
    $(".send", node).addEventListener("click", () => this.submit());
    $(".menu-button", node).addEventListener("click", () => this.toggleMenu());
    $(".reply-cancel", node).addEventListener("click", () => this.setReply(null));
    $(".file-input", node).addEventListener("change", (e) => this.upload(e.target));
    $(".voice", node).addEventListener("click", () => this.sendMedia("voice"));
    $(".place", node).addEventListener("click", () => this.sendMedia("location"));
    $(".alert button", node).addEventListener("click", () => { this.alertNode.hidden = true; });
    $(".start-button", node).addEventListener("click", () => this.sendText("/start"));
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("focus", () => { app.lastFocused = this; });
  }

  // -- receiving ----------------------------------------------------------------------------
  async load() {
    const data = await api(`/api/chats/${this.person.id}/messages`);
    const fetched = new Set();
    for (const view of data.messages) { fetched.add(view.id); this.upsert(view); }
    for (const [id, view] of this.messages) {
      if (!fetched.has(id) && view.rev <= data.seq) this.remove(id);
    }
    this.refreshKeyboard();
    this.scrollDown(true);
  }

  upsert(view) {
    const known = this.messages.get(view.id);
    if (known && known.rev > view.rev) return;
    if (view.deleted) { this.remove(view.id); return; }
    const nearBottom = this.isNearBottom();
    this.messages.set(view.id, view);
    const node = this.render(view);
    const old = this.nodes.get(view.id);
    if (old) old.replaceWith(node);
    else {
      const after = [...this.nodes.keys()].filter((id) => id > view.id).sort((a, b) => a - b)[0];
      if (after !== undefined) this.list.insertBefore(node, this.nodes.get(after));
      else this.list.append(node);
    }
    this.nodes.set(view.id, node);
    if (!old && nearBottom) this.scrollDown();
  }

  remove(id) {
    this.nodes.get(id)?.remove();
    this.nodes.delete(id);
    this.messages.delete(id);
  }

  isNearBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
  }

  scrollDown(now) {
    const go = () => { this.list.scrollTop = this.list.scrollHeight; };
    if (now) go(); else requestAnimationFrame(go);
  }

  render(view) {
    const mine = !view.from_bot;
    const node = el("div", { class: `message ${mine ? "me" : "bot"}`, "data-id": view.id, "data-kind": view.kind });
    if (view.reply_to) {
      const quoted = view.reply_to;
      node.append(el("div", { class: "quote", title: "Go to the message", onclick: () => this.flashMessage(quoted.id) },
        el("b", { text: quoted.from_bot ? app.bot.name : this.person.name }), quoted.deleted ? "(deleted)" : quoted.text));
    }
    const file = view.file;
    if (view.kind === "photo" && file) {
      node.append(el("a", { href: `/api/files/${encodeURIComponent(file.id)}`, target: "_blank" },
        el("img", { class: "photo", src: `/api/files/${encodeURIComponent(file.id)}`, alt: "photo" })));
    } else if ((view.kind === "document" || view.kind === "sticker") && file) {
      if (view.kind === "sticker") node.append(el("div", { class: "sticker", text: (view.media && view.media.emoji) || "🖼" }));
      else node.append(el("a", { class: "file", href: `/api/files/${encodeURIComponent(file.id)}?download=1`, download: file.name, title: "Download" },
        el("span", { class: "icon", text: "⬇" }), el("span", {}, el("span", { class: "file-name", text: file.name }), el("span", { class: "file-size", text: sizeText(file.size) }))));
    } else if (view.kind === "contact" && view.media) {
      const c = view.media;
      node.append(el("div", { class: "contact-card" }, el("span", { class: "icon", text: "👤" }),
        el("span", {}, el("b", { text: [c.first_name, c.last_name].filter(Boolean).join(" ") }), el("br"), c.phone_number)));
    } else if (view.kind === "location" && view.media) {
      node.append(el("div", { text: `📍 ${view.media.latitude.toFixed(4)}, ${view.media.longitude.toFixed(4)}` }));
    } else if (view.kind === "venue" && view.media) {
      node.append(el("div", { text: `📍 ${view.media.title}, ${view.media.address}` }));
    } else if (["voice", "audio", "video", "video_note", "animation"].includes(view.kind) && view.media) {
      const icons = { voice: "🎤 Voice message", audio: "🎵 Audio", video: "🎬 Video", video_note: "⏺ Video message", animation: "🎞 GIF" };
      const seconds = view.media.duration || 0;
      node.append(el("div", { class: "media-line", text: `${icons[view.kind]}, ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}` }));
    } else if (view.kind !== "text" && view.kind !== "photo" && view.kind !== "document") {
      node.append(el("div", { class: "text", text: `[${view.kind}]` }));
    }
    if (view.text) node.append(renderText(view.text, view.entities, this));
    const meta = el("div", { class: "meta" });
    meta.append(el("button", { type: "button", class: "reply-action", title: "Reply to this message", onclick: () => this.setReply(view) }, "↩ Reply"));
    if (view.copied) meta.append(el("span", { text: "relayed" }));
    if (view.edited) meta.append(el("span", { class: "edited", text: "edited" }));
    meta.append(el("span", { class: "time", text: time(view.date) }));
    node.append(meta);
    node.addEventListener("dblclick", (e) => { if (!e.target.closest("button,a")) this.setReply(view); });
    if (view.inline_keyboard.length) node.append(this.inlineKeyboard(view));
    return node;
  }

  inlineKeyboard(view) {
    const box = el("div", { class: "inline-keyboard" });
    view.inline_keyboard.forEach((row, r) => {
      const line = el("div", { class: "inline-row" });
      row.forEach((button, c) => {
        const classes = `inline-button${button.type === "url" ? " link" : ""}`;
        const node = el("button", { type: "button", class: classes, title: button.url || button.text, text: button.text });
        node.addEventListener("click", () => this.pressInline(view, r, c, button, node));
        line.append(node);
      });
      box.append(line);
    });
    return box;
  }

  async pressInline(view, row, column, button, node) {
    if (button.type === "url") {
      if (!openLink(button.url, this)) window.open(button.url, "_blank", "noopener");
      return;
    }
    if (button.type === "copy_text") {
      await navigator.clipboard?.writeText(button.copy || "").catch(() => {});
      this.toast("Copied to the clipboard");
      return;
    }
    if (button.type !== "callback_data") { this.toast(`A ${button.type} button: not available in the sandbox`); return; }
    node.classList.add("busy");
    setTimeout(() => node.classList.remove("busy"), 4000);
    try {
      await api(`/api/chats/${this.person.id}/press`, { message_id: view.id, row, column });
    } catch (err) {
      node.classList.remove("busy");
      this.toast(err.message);
    }
  }

  onAnswer(event) {
    this.node.querySelectorAll(".inline-button.busy").forEach((b) => b.classList.remove("busy"));
    if (event.url) openLink(event.url, this);
    if (!event.text) return;
    if (event.show_alert) {
      $(".alert-text", this.alertNode).textContent = event.text;
      this.alertNode.hidden = false;
    } else this.toast(event.text);
  }

  toast(text) {
    this.toastNode.textContent = text;
    this.toastNode.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { this.toastNode.hidden = true; }, 3500);
  }

  flashMessage(id) {
    const node = this.nodes.get(id);
    if (!node) return;
    node.scrollIntoView({ block: "center", behavior: "smooth" });
    node.classList.add("targeted");
    setTimeout(() => node.classList.remove("targeted"), 1500);
  }

  // -- reply keyboard -----------------------------------------------------------------------
  currentKeyboard() {
    let current = null;
    const ids = [...this.messages.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const view = this.messages.get(id);
      if (view.from_bot) {
        if (view.reply_keyboard) current = { keyboard: view.reply_keyboard, after: id };
        else if (view.remove_keyboard) current = null;
      } else if (current && current.keyboard.one_time) current = null; // used once: hidden
    }
    return current;
  }

  refreshEmpty() {
    const empty = this.messages.size === 0;
    let hint = $(".empty-chat", this.list);
    if (empty && !hint) {
      hint = el("div", { class: "empty-chat" }, el("b", { text: app.bot.name }), el("br"), "No messages here yet.");
      this.list.append(hint);
    } else if (!empty && hint) hint.remove();
    $(".start-button", this.node).hidden = !empty;
    $(".composer-row", this.node).hidden = empty;
  }

  refreshKeyboard() {
    this.refreshEmpty();
    const current = this.currentKeyboard();
    this.keyboard.replaceChildren();
    this.input.placeholder = (current && current.keyboard.placeholder) || "Message";
    if (!current) { this.keyboard.hidden = true; return; }
    for (const row of current.keyboard.rows) {
      const line = el("div", { class: "kb-row" });
      for (const button of row) {
        line.append(el("button", { type: "button", text: button.text, onclick: () => this.pressKeyboard(button) }));
      }
      this.keyboard.append(line);
    }
    this.keyboard.hidden = false;
  }

  async pressKeyboard(button) {
    try {
      if (button.request_contact) {
        const phone = this.person.phone || "your number";
        if (!window.confirm(`Share your phone number (${phone}) with ${app.bot.name}?`)) return;
        await api(`/api/chats/${this.person.id}/contact`, {});
      } else if (button.request_location) {
        await api(`/api/chats/${this.person.id}/location`, {});
      } else await this.sendText(button.text);
    } catch (err) { this.toast(err.message); }
  }

  // -- sending ------------------------------------------------------------------------------
  setReply(view) {
    this.replyTo = view ? view.id : null;
    const bar = $(".reply-bar", this.node);
    bar.hidden = !view;
    if (view) {
      const who = view.from_bot ? app.bot.name : this.person.name;
      $(".reply-bar-text", bar).textContent = `Reply to ${who}: ${view.text || `[${view.kind}]`}`;
      this.input.focus();
    }
  }

  async sendText(text) {
    const body = { text };
    if (this.replyTo !== null) body.reply_to = this.replyTo;
    this.setReply(null);
    try {
      await api(`/api/chats/${this.person.id}/send`, body);
    } catch (err) { this.toast(err.message); }
  }

  async submit() {
    const text = this.input.value;
    if (!text.trim()) return;
    this.input.value = "";
    this.autosize();
    this.closeMenu();
    await this.sendText(text);
  }

  async sendMedia(kind) {
    const body = {};
    if (this.replyTo !== null) body.reply_to = this.replyTo;
    this.setReply(null);
    try { await api(`/api/chats/${this.person.id}/${kind}`, body); } catch (err) { this.toast(err.message); }
  }

  async upload(input) {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("as", /^image\/(png|jpeg|gif)$/.test(file.type) ? "photo" : "document");
    if (this.input.value.trim()) { form.append("caption", this.input.value); this.input.value = ""; }
    if (this.replyTo !== null) form.append("reply_to", String(this.replyTo));
    this.setReply(null);
    try { await api(`/api/chats/${this.person.id}/upload`, form); } catch (err) { this.toast(err.message); }
  }

  onKey(event) {
    if (!this.menu.hidden && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const items = [...this.menu.querySelectorAll(".menu-item")];
      const index = items.findIndex((i) => i.classList.contains("active"));
      items.forEach((i) => i.classList.remove("active"));
      const next = items[(index + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length];
      next?.classList.add("active");
      return;
    }
    if (event.key === "Escape") { this.closeMenu(); this.setReply(null); return; }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      const active = this.menu.hidden ? null : this.menu.querySelector(".menu-item.active");
      if (active) active.click(); else this.submit();
    }
  }

  onInput() {
    this.autosize();
    const text = this.input.value;
    if (/^\/\w*$/.test(text)) this.openMenu(text.slice(1)); else this.closeMenu();
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 120)}px`;
  }

  // -- the command menu ---------------------------------------------------------------------
  toggleMenu() {
    if (this.menu.hidden) this.openMenu(""); else this.closeMenu();
  }

  async openMenu(filter) {
    const data = await api(`/api/chats/${this.person.id}/commands`).catch(() => ({ commands: [] }));
    const commands = data.commands.filter((c) => c.command.startsWith(filter.toLowerCase()));
    this.menu.replaceChildren();
    if (!commands.length) {
      if (filter) { this.closeMenu(); return; }
      this.menu.append(el("div", { class: "menu-empty", text: "This chat has no command menu." }));
    }
    for (const command of commands) {
      this.menu.append(el("button", { type: "button", class: "menu-item", role: "menuitem", "data-command": command.command,
        onclick: () => { this.input.value = ""; this.autosize(); this.closeMenu(); this.sendText(`/${command.command}`); } },
        el("span", { class: "cmd", text: `/${command.command}` }), el("span", { class: "desc", text: command.description })));
    }
    this.menu.hidden = false;
  }

  closeMenu() { this.menu.hidden = true; }
}

// == panes and people ========================================================================
function openPane(id, focus) {
  let pane = app.panes.get(id);
  if (!pane) {
    const person = app.people.get(id);
    pane = new Pane(person);
    app.panes.set(id, pane);
    const order = [...app.people.keys()];
    const after = [...app.panes.keys()].filter((other) => order.indexOf(other) > order.indexOf(id))
      .sort((a, b) => order.indexOf(a) - order.indexOf(b))[0];
    const container = $("#panes");
    if (after !== undefined && app.panes.get(after).node.isConnected) container.insertBefore(pane.node, app.panes.get(after).node);
    else container.append(pane.node);
    pane.load().catch((err) => pane.toast(err.message));
    saveOpenIds();
  }
  app.unread.delete(id);
  renderPeople();
  if (focus) {
    pane.node.scrollIntoView({ behavior: "smooth", inline: "nearest" });
    pane.node.classList.add("flash");
    setTimeout(() => pane.node.classList.remove("flash"), 900);
  }
  return pane;
}

function closePane(id) {
  const pane = app.panes.get(id);
  if (!pane) return;
  pane.node.remove();
  app.panes.delete(id);
  saveOpenIds();
  renderPeople();
}

function renderPeople() {
  const nav = $("#people");
  nav.replaceChildren();
  const groups = new Map();
  for (const person of app.people.values()) {
    if (!groups.has(person.group)) groups.set(person.group, []);
    groups.get(person.group).push(person);
  }
  for (const group of ["owners", "staff", "others", "added"]) {
    const people = groups.get(group);
    if (!people) continue;
    nav.append(el("div", { class: "group-title", text: GROUP_TITLES[group] }));
    for (const person of people) {
      const count = app.unread.get(person.id) || 0;
      const open = app.panes.has(person.id);
      nav.append(el("button", { type: "button", class: `person${open ? " open" : ""}`, "data-person": person.id, "aria-pressed": open ? "true" : "false",
        title: open ? "Show this chat" : "Open this chat", onclick: () => openPane(person.id, true) },
        avatar(person), el("span", { class: "who" }, el("span", { class: "name", text: person.name }), el("span", { class: "role", text: person.role || person.language_code })),
        count ? el("span", { class: "unread", text: String(count) }) : null));
    }
  }
}

function addPerson(person) {
  const known = app.people.has(person.id);
  app.people.set(person.id, person);
  if (!known) renderPeople();
}

// == refusals ================================================================================
function addRefusal(refusal) {
  app.refusals.push(refusal);
  const who = app.people.get(Number(refusal.chat_id));
  const when = new Date(refusal.date * 1000).toLocaleTimeString();
  const item = el("li", { class: "refusal" },
    el("div", { class: "head" }, el("span", { class: "status-code", text: String(refusal.status) }), el("span", { class: "method", text: refusal.method }),
      el("span", { text: who ? `→ ${who.name}` : refusal.chat_id ? `→ chat ${refusal.chat_id}` : "" }), el("span", { text: when })),
    el("div", { class: "description", text: refusal.description }),
    refusal.text ? el("pre", { text: refusal.text }) : null);
  $("#refusal-list").prepend(item);
  $("#refusals-empty").hidden = true;
  $("#refusal-count").textContent = String(app.refusals.length);
  $("#refusals-toggle").classList.add("has");
}

// == intro and status ========================================================================
function renderIntro(intro) {
  const box = $("#intro");
  box.replaceChildren();
  if (!intro || !intro.steps) { box.hidden = true; return; }
  const folded = localStorage.getItem(`${OPEN_KEY}.intro-folded`) === "1";
  box.classList.toggle("folded", folded);
  const fold = el("button", { type: "button", text: folded ? "show" : "hide", onclick: () => {
    const now = !box.classList.contains("folded");
    box.classList.toggle("folded", now);
    fold.textContent = now ? "show" : "hide";
    localStorage.setItem(`${OPEN_KEY}.intro-folded`, now ? "1" : "0");
  } });
  box.append(el("h2", {}, el("span", { text: intro.title || "Try it" }), fold));
  box.append(el("ol", {}, ...intro.steps.map((step) => el("li", { text: step }))));
  if (intro.samples && intro.samples.length) {
    const samples = el("div", { class: "samples" });
    for (const sample of intro.samples) {
      samples.append(el("div", { class: "sample" }, el("span", { text: sample.label }),
        el("code", { title: "Click to put it in the chat you typed in last", text: sample.value, onclick: () => useSample(sample.value) })));
    }
    box.append(samples);
  }
  box.hidden = false;
}

function useSample(value) {
  const pane = app.lastFocused && app.panes.has(app.lastFocused.person.id) ? app.lastFocused : [...app.panes.values()][0];
  navigator.clipboard?.writeText(value).catch(() => {});
  if (!pane) return;
  pane.input.value = value;
  pane.input.focus();
}

function setStatus(status, detail) {
  const node = $("#status");
  const texts = { ready: "", seeding: "Setting up the programme through the bot…", starting: "Starting the bot…", stopped: "The bot has stopped." };
  node.textContent = detail || (status in texts ? texts[status] : status);
  node.classList.toggle("busy", status === "seeding" || status === "starting");
}

// == live events =============================================================================
function onEvent(event) {
  switch (event.type) {
    case "hello": refresh().catch(() => {}); setStatus(event.status); break;
    case "status": setStatus(event.status, event.detail); break;
    case "person": addPerson(event.person); break;
    case "refusal": addRefusal(event.refusal); break;
    case "answer": app.panes.get(event.chat_id)?.onAnswer(event); break;
    case "message": {
      const pane = app.panes.get(event.chat_id);
      if (pane) {
        pane.upsert(event.message);
        pane.refreshKeyboard();
      } else if (event.event === "new" && event.message.from_bot && app.people.has(event.chat_id)) {
        app.unread.set(event.chat_id, (app.unread.get(event.chat_id) || 0) + 1);
        renderPeople();
      }
      break;
    }
    default: break;
  }
}

async function refresh() {
  const data = await api("/api/bootstrap");
  app.bot = data.bot;
  document.title = `${data.bot.name} · sandbox`;
  $("#bot-handle").textContent = `@${data.bot.username}`;
  for (const person of data.people) app.people.set(person.id, person);
  app.intro = data.intro;
  renderIntro(data.intro);
  setStatus(data.status);
  app.refusals = [];
  $("#refusal-list").replaceChildren();
  $("#refusals-empty").hidden = false;
  $("#refusal-count").textContent = "0";
  $("#refusals-toggle").classList.remove("has");
  for (const refusal of data.refusals) addRefusal(refusal);
  if (!app.started) {
    app.started = true;
    const saved = openIds();
    for (const person of data.people) {
      if (saved ? saved.has(person.id) : person.open) openPane(person.id, false);
    }
  } else {
    await Promise.all([...app.panes.values()].map((pane) => pane.load()));
  }
  renderPeople();
}

function start() {
  $("#refusals-toggle").addEventListener("click", () => document.body.classList.toggle("refusals-hidden"));
  $(".chooser-cancel").addEventListener("click", () => { $("#chooser").hidden = true; });
  $("#add-person").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const data = await api("/api/people", { name: form.name.value, language_code: form.language_code.value });
      addPerson(data.person);
      openPane(data.person.id, true);
      form.reset();
    } catch (err) { window.alert(err.message); }
  });
  const events = new EventSource("/api/events");
  events.onmessage = (message) => onEvent(JSON.parse(message.data));
  events.onerror = () => setStatus("offline", "Connection to the sandbox lost; reconnecting…");
}

start();
