// The web chat: sends what the user writes or presses to /api/chat/send and shows the replies.
// Replies use Telegram's small HTML subset; only <b>, <i>, <a href> and line breaks are kept.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("compose");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const typing = document.getElementById("typing");
  const menu = document.getElementById("menu");
  const menuButton = document.getElementById("menu-button");
  const POLL_MS = 3000;
  // The page's own strings in every language (bot/web/page.py); they follow the chosen language.
  const STRINGS = JSON.parse(document.getElementById("page-strings").dataset.strings);
  const LANGUAGE_KEY = "wegweiser-language";
  let language = document.documentElement.lang;

  function useLanguage(chosen) {
    if (!STRINGS[chosen]) return;
    language = chosen;
    localStorage.setItem(LANGUAGE_KEY, chosen);
    // The page's language and direction follow the person's choice (ar, fa: right to left).
    document.documentElement.lang = chosen;
    document.documentElement.dir = STRINGS[chosen].dir;
    typing.textContent = STRINGS[chosen].typing;
    document.getElementById("text-label").textContent = STRINGS[chosen].message;
    sendButton.setAttribute("aria-label", STRINGS[chosen].send);
    document.getElementById("menu-label").textContent = STRINGS[chosen].menu;
    for (const item of menu.querySelectorAll("button")) item.textContent = STRINGS[chosen][item.dataset.command];
  }
  useLanguage(localStorage.getItem(LANGUAGE_KEY) || language);

  function newId() {
    return crypto.randomUUID ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  // The server issues the session token with its first answer; it travels in a header, never in a URL.
  const TOKEN_KEY = "wegweiser-token";
  const TOKEN_HEADER = "X-Chat-Session";
  localStorage.removeItem("wegweiser-session");  // the id of before went in URLs: no longer accepted
  localStorage.removeItem("wegweiser-started");
  let token = localStorage.getItem(TOKEN_KEY);
  const firstVisit = !token;  // with a token: a reload, the conversation is shown again

  function headers() {
    const sent = { "Content-Type": "application/json" };
    if (token) sent[TOKEN_HEADER] = token;
    return sent;
  }

  // A time range ("8:00–12:00", "8:00 ص–10:00 ص", "8:00 AM–12:00 PM") is kept on one line.
  const TIME = "\\p{Nd}{1,2}:\\p{Nd}{2}(?:[ \\u00a0\\u202f](?:ص|م|[AaPp]\\.?[Mm]\\.?))?";
  const TIME_RANGE = new RegExp(TIME + "\\s?[–-]\\s?" + TIME, "gu");
  const URL_TEXT = /^(https?:\/\/|www\.)\S+$/i;

  function appendText(text, to) {
    let at = 0;
    for (const match of text.matchAll(TIME_RANGE)) {
      to.appendChild(document.createTextNode(text.slice(at, match.index)));
      const span = document.createElement("span");
      span.className = "nowrap";
      span.textContent = match[0];
      to.appendChild(span);
      at = match.index + match[0].length;
    }
    to.appendChild(document.createTextNode(text.slice(at)));
  }

  // Build DOM from the reply markup without ever running it: unknown tags become their text.
  function render(html, into) {
    const doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
    (function copy(from, to) {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) { appendText(node.textContent, to); continue; }
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        const tag = node.tagName.toLowerCase();
        let el = null;
        if (tag === "b" || tag === "strong" || tag === "i" || tag === "em") el = document.createElement(tag);
        else if (tag === "a") {
          const href = node.getAttribute("href") || "";
          if (/^(https?:|tel:|mailto:)/i.test(href)) {
            el = document.createElement("a"); el.href = href; el.target = "_blank"; el.rel = "noopener noreferrer";
            // A URL shown as itself reads left to right and may break anywhere; other text never does.
            if (URL_TEXT.test(node.textContent.trim())) { el.className = "url"; el.dir = "ltr"; }
          }
        }
        if (el) { copy(node, el); to.appendChild(el); } else { copy(node, to); }
      }
    })(doc.body.firstChild, into);
  }

  function show(reply) {
    if (reply.language && reply.language !== language) useLanguage(reply.language);
    const item = document.createElement("li");
    item.className = "bot " + (reply.kind || "");
    if (reply.language) item.lang = reply.language;
    // Each message takes the direction of its own text: a staff reply in German reads left to
    // right in an Arabic chat (replies in Arabic and Farsi begin with a right-to-left mark).
    item.dir = "auto";
    if (reply.kind === "staff") {
      // A team message: the heading in the person's language, then what staff wrote, perhaps in
      // German. Each line takes its own direction (no tag of these spans a line break).
      for (const part of reply.text.split("\n")) {
        const line = document.createElement("div");
        line.dir = "auto";
        if (part) render(part, line); else line.appendChild(document.createElement("br"));  // a blank line
        item.appendChild(line);
      }
    } else {
      render(reply.text, item);
    }
    const buttons = (reply.buttons || []).flat();
    if (buttons.length) {
      const box = document.createElement("div");
      box.className = "buttons";
      for (const b of buttons) {
        let el;
        if (b.url) { el = document.createElement("a"); el.href = b.url; el.target = "_blank"; el.rel = "noopener noreferrer"; }
        else { el = document.createElement("button"); el.type = "button"; el.addEventListener("click", () => send("button", b.action, b.label)); }
        el.textContent = b.label;
        el.tabIndex = box.children.length ? -1 : 0;
        box.appendChild(el);
      }
      item.appendChild(box);
    }
    log.appendChild(item);
    return item;
  }

  // A batch of replies is read from its first line: the first new message starts at the top of the
  // view (where the emergency numbers are), not the end of the last one (sources, opening hours).
  function showAll(replies) {
    const items = replies.map(show);
    if (items.length) log.scrollTop = items[0].offsetTop - log.firstElementChild.offsetTop;
  }

  function showMine(text) {
    const item = document.createElement("li");
    item.className = "user";
    item.dir = "auto";
    item.textContent = text;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function showError() {
    const item = document.createElement("li");
    item.className = "error";
    item.textContent = "⚠️ " + STRINGS[language].offline;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  async function post(body, attempt) {
    const response = await fetch("/api/chat/send", { method: "POST", headers: headers(), body: JSON.stringify(body) });
    if (response.status >= 500 && attempt < 3) {  // same message id: the server answers it only once
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      return post(body, attempt + 1);
    }
    // 429: too many messages; the answer says when to send again (and the emergency numbers).
    if (!response.ok && response.status !== 429) throw new Error("HTTP " + response.status);
    const data = await response.json();
    if (data.session && data.session !== token) { token = data.session; localStorage.setItem(TOKEN_KEY, token); }
    return data;
  }

  // One message at a time: while one is on its way (typing notice shown, log busy, send button off),
  // a second click or Enter sends nothing, so a double click gets one answer, not two. This also
  // keeps the order: the first message's answer brings the token the next one sends.
  let busy = false;
  function setBusy(on) {
    busy = on;
    log.setAttribute("aria-busy", String(on));
    sendButton.disabled = on;
    // The menu sends a command: it waits like the send button (an open menu closes).
    menuButton.disabled = on;
    if (on) openMenu(false);
    typing.hidden = !on;
  }

  function send(kind, text, shown) {
    if (busy) return false;
    setBusy(true);
    showMine(shown === undefined ? text : shown);
    post({ id: newId(), kind, text }, 0).then((data) => showAll(data.replies), showError).finally(() => setBusy(false));
    return true;
  }

  // The buttons under a message are one stop in the tab order (arrow keys move among them), so
  // the text box is a few Tab presses away, not one per place name (the WAI-ARIA toolbar pattern).
  const ARROWS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  log.addEventListener("keydown", (event) => {
    const box = event.target.parentElement;
    if (!box || !box.classList.contains("buttons")) return;
    const all = Array.from(box.children);
    let next = all.indexOf(event.target);
    if (event.key in ARROWS) {
      let step = ARROWS[event.key];
      const sideways = event.key === "ArrowLeft" || event.key === "ArrowRight";
      if (sideways && document.documentElement.dir === "rtl") step = -step;  // the next one is on the left
      next = (next + step + all.length) % all.length;
    } else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = all.length - 1;
    else return;
    event.preventDefault();
    all.forEach((el, i) => { el.tabIndex = i === next ? 0 : -1; });
    all[next].focus();
  });

  // The menu: the commands for language, place, a person, privacy and deleting, without typing them.
  function openMenu(open) {
    menu.hidden = !open;
    menuButton.setAttribute("aria-expanded", String(open));
  }
  menuButton.addEventListener("click", () => openMenu(menu.hidden));
  menu.addEventListener("click", (event) => {
    const item = event.target.closest("button");
    if (!item || busy) return;
    openMenu(false);
    send("command", item.dataset.command, item.textContent);
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden) { openMenu(false); menuButton.focus(); }
  });

  async function poll() {
    try {
      if (token) {
        const response = await fetch("/api/chat/updates", { headers: { [TOKEN_HEADER]: token } });
        if (response.ok) showAll((await response.json()).replies);
      }
    } catch (e) { /* offline for a moment: the next poll catches up, nothing is lost */ }
    setTimeout(poll, POLL_MS);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (send(text.startsWith("/") ? "command" : "text", text)) input.value = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  // After a reload: the conversation as far as it is kept, and a note while a case is open. A
  // session the server no longer knows (deleted, expired) starts again.
  async function restore() {
    const response = await fetch("/api/chat/history", { headers: { [TOKEN_HEADER]: token } });
    if (response.status === 404) {
      token = null;
      localStorage.removeItem(TOKEN_KEY);
      send("command", "/start", "👋");
      return;
    }
    if (!response.ok) return;
    const data = await response.json();
    if (data.language) useLanguage(data.language);
    let shown = 0;
    for (const line of data.messages) {
      // A language choice is of no use without its buttons (older than the outbox keeps them), and
      // not made yet, a new one comes below.
      const picker = !line.mine && line.reply.kind === "language_picker";
      if (picker && (!line.reply.buttons.length || !data.language)) continue;
      if (line.mine) showMine(line.text); else show(line.reply);
      shown += 1;
    }
    if (data.case_open) {
      const note = document.createElement("li");
      note.className = "note case-open";
      note.textContent = STRINGS[language].case_open;
      log.appendChild(note);
    }
    log.scrollTop = log.scrollHeight;
    // Reloaded before choosing a language, or everything shown before has expired: not a blank
    // page, but the greeting and the language choice.
    if (!data.language || !shown) send("command", "/start", "👋");
  }

  log.hidden = form.hidden = false;  // the page comes without them: only this script makes them work
  if (firstVisit) send("command", "/start", "👋");
  else restore().catch(() => { /* offline: the conversation goes on without the old lines */ });
  setTimeout(poll, POLL_MS);
})();
