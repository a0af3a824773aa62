/*
 * Sportello Vittime - website chat widget.
 *
 * Embed:   <div id="sportello-vittime"></div>
 *          <script src="https://YOUR-SERVER/widget/sportello-widget.js" data-server="https://YOUR-RASA" defer></script>
 * Options (data- attributes of the script tag):
 *   data-server          Rasa server URL (Socket.IO). Default: same host, port 5005.
 *   data-title           Title shown in the header. Default "Sportello Vittime".
 *   data-lang            Language of the interface (only "it" for now).
 *   data-exit-url        Neutral page opened by "Esci subito". Default https://www.google.it
 *   data-container       id of the element to fill. Default "sportello-vittime"; if missing,
 *                        a floating launcher button is added to the page.
 *   data-session-storage "true" keeps the conversation id for the browser tab (sessionStorage);
 *                        default: nothing is stored, a new conversation at every page load.
 *
 * Safety: no cookies, no localStorage, no third-party requests; every text is inserted as text
 * (never as HTML); the quick exit replaces the page (Back does not return) and clears the widget.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var base = script && script.src ? new URL(".", script.src) : new URL("/widget/", location.href);
  var options = {
    server: data.server || (location.protocol + "//" + location.hostname + ":5005"),
    title: data.title || "Sportello Vittime",
    lang: data.lang || "it",
    exitUrl: data.exitUrl || "https://www.google.it",
    container: data.container || "sportello-vittime",
    keepSession: data.sessionStorage === "true"
  };
  var STORAGE_KEY = "sportello-vittime-session";
  var TEXT = {
    notice: "Questa chat non lascia dati sul tuo dispositivo: niente cookie né memoria locale. " +
      "Le conversazioni sono conservate sul server per un periodo limitato. " +
      "Non è un servizio di emergenza: se sei in pericolo chiama il 112; per violenza e stalking il 1522. " +
      "Per uscire in fretta usa \u00abEsci subito\u00bb o premi due volte Esc.",
    exit: "Esci subito",
    exitHint: "Chiude la chat e apre un altro sito",
    log: "Conversazione",
    label: "Scrivi un messaggio",
    placeholder: "Scrivi qui\u2026",
    send: "Invia",
    you: "Tu: ",
    bot: "Assistente: ",
    typing: "L'assistente sta scrivendo\u2026",
    choices: "Risposte suggerite",
    offline: "Non riesco a collegarmi al servizio. Se sei in pericolo chiama subito il 112. " +
      "Per violenza e stalking chiama il 1522 (gratuito, 24 ore su 24).",
    open: "Apri la chat di Sportello Vittime",
    close: "Chiudi la chat"
  };

  var CSS = [
    ".sv-widget{--sv-blue:#1d4f91;--sv-red:#a4000f;--sv-text:#1b1b1b;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;",
    "color:var(--sv-text);background:#fff;border:1px solid #6b6b6b;border-radius:8px;display:flex;flex-direction:column;",
    "width:100%;max-width:440px;box-sizing:border-box;max-height:85vh;min-height:320px;overflow:hidden}",
    ".sv-widget *{box-sizing:border-box}",
    ".sv-header{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:10px 12px;background:var(--sv-blue);color:#fff}",
    ".sv-title{margin:0;font-size:1.1em}",
    ".sv-exit{background:var(--sv-red);color:#fff;border:2px solid #fff;border-radius:6px;padding:8px 12px;font:inherit;font-weight:700;cursor:pointer}",
    ".sv-notice{margin:0;padding:8px 12px;font-size:.85em;background:#fff8e5;color:#1b1b1b;border-bottom:1px solid #d8c690}",
    ".sv-log{flex:1 1 auto;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;min-height:120px}",
    ".sv-msg{max-width:88%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".sv-bot{align-self:flex-start;background:#eef0f3;color:#1b1b1b}",
    ".sv-user{align-self:flex-end;background:var(--sv-blue);color:#fff}",
    ".sv-user a{color:#fff}",
    ".sv-bot a{color:#0b3a75}",
    ".sv-choices{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start;max-width:100%}",
    ".sv-choice{background:#fff;color:var(--sv-blue);border:2px solid var(--sv-blue);border-radius:16px;padding:6px 12px;font:inherit;cursor:pointer;text-align:left}",
    ".sv-choice:disabled{color:#4a4a4a;border-color:#8a8a8a;cursor:default}",
    ".sv-typing{padding:0 12px 6px;color:#4a4a4a;font-size:.9em}",
    ".sv-error{margin:0 12px 8px;padding:8px 10px;border:2px solid var(--sv-red);border-radius:6px;color:#1b1b1b;background:#fff0f0}",
    ".sv-form{display:flex;gap:6px;padding:10px 12px;border-top:1px solid #c4c4c4;flex-wrap:wrap}",
    ".sv-form label{flex-basis:100%;font-size:.9em}",
    ".sv-input{flex:1 1 180px;min-width:0;font:inherit;padding:8px;border:2px solid #6b6b6b;border-radius:6px;color:#1b1b1b;background:#fff}",
    ".sv-send{font:inherit;font-weight:700;padding:8px 14px;border:0;border-radius:6px;background:var(--sv-blue);color:#fff;cursor:pointer}",
    ".sv-widget button:focus-visible,.sv-widget input:focus-visible,.sv-log:focus-visible,.sv-launcher:focus-visible,.sv-widget a:focus-visible{outline:3px solid #ffbf47;outline-offset:2px;box-shadow:0 0 0 5px #1b1b1b}",
    ".sv-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}",
    ".sv-launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:#1d4f91;color:#fff;border:2px solid #fff;border-radius:24px;padding:12px 18px;font:700 16px/1 system-ui,sans-serif;cursor:pointer}",
    ".sv-floating{position:fixed;right:16px;bottom:16px;z-index:2147483000;width:calc(100vw - 32px);max-width:440px}",
    "@media (prefers-reduced-motion:no-preference){.sv-typing span{animation:sv-blink 1.2s infinite}}",
    "@keyframes sv-blink{50%{opacity:.3}}"
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function randomId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // Text with safe links: only http(s) URLs become <a>, everything else stays text.
  function appendText(node, text) {
    var pattern = /\bhttps?:\/\/[^\s<>"']+/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      var url = match[0].replace(/[).,;:!?]+$/, "");
      var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url);
      node.appendChild(link);
      last = match.index + url.length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  function Widget() {
    this.sessionId = null;
    this.socket = null;
    this.root = null;
    this.styleNode = null;
    this.escTimes = [];
    this.typingTimer = null;
    this.pending = [];
    this.ready = false;
  }

  Widget.prototype.mount = function () {
    this.styleNode = el("style", { "data-sportello-vittime": "" });
    this.styleNode.textContent = CSS;
    document.head.appendChild(this.styleNode);

    var host = document.getElementById(options.container);
    if (!host) {
      host = el("div", { id: options.container, "class": "sv-floating", hidden: "" });
      document.body.appendChild(host);
      var launcher = el("button", { type: "button", "class": "sv-launcher", "aria-expanded": "false" }, TEXT.open);
      document.body.appendChild(launcher);
      this.launcher = launcher;
      var self = this;
      launcher.addEventListener("click", function () {
        var open = host.hasAttribute("hidden");
        if (open) { host.removeAttribute("hidden"); self.input.focus(); } else { host.setAttribute("hidden", ""); }
        launcher.setAttribute("aria-expanded", String(open));
        launcher.textContent = open ? TEXT.close : TEXT.open;
      });
    }
    this.host = host;
    this.render(host);
    this.bindKeys();
    this.connect();
  };

  Widget.prototype.render = function (host) {
    var titleId = "sv-title-" + randomId().slice(0, 6);
    var root = el("section", { "class": "sv-widget", "aria-labelledby": titleId, lang: options.lang });
    var header = el("div", { "class": "sv-header" });
    header.appendChild(el("h2", { "class": "sv-title", id: titleId }, options.title));
    var exit = el("button", { type: "button", "class": "sv-exit", title: TEXT.exitHint, "aria-describedby": titleId + "-exit" }, TEXT.exit);
    header.appendChild(exit);
    root.appendChild(header);
    root.appendChild(el("p", { "class": "sv-notice", id: titleId + "-exit" }, TEXT.notice));

    this.log = el("div", { "class": "sv-log", role: "log", "aria-live": "polite", "aria-label": TEXT.log, tabindex: "0" });
    root.appendChild(this.log);
    this.typing = el("div", { "class": "sv-typing", hidden: "" });
    var dots = el("span", {}, TEXT.typing);
    this.typing.appendChild(dots);
    root.appendChild(this.typing);
    this.error = el("p", { "class": "sv-error", role: "alert", hidden: "" }, TEXT.offline);
    root.appendChild(this.error);

    var form = el("form", { "class": "sv-form", autocomplete: "off" });
    var inputId = titleId + "-input";
    form.appendChild(el("label", { "for": inputId }, TEXT.label));
    this.input = el("input", { id: inputId, "class": "sv-input", type: "text", maxlength: "2000", placeholder: TEXT.placeholder, autocomplete: "off" });
    form.appendChild(this.input);
    form.appendChild(el("button", { type: "submit", "class": "sv-send" }, TEXT.send));
    root.appendChild(form);

    var self = this;
    exit.addEventListener("click", function () { self.quickExit(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) { return; }
      self.input.value = "";
      self.send(text, text);
    });
    host.appendChild(root);
    this.root = root;
  };

  Widget.prototype.bindKeys = function () {
    var self = this;
    this.onKey = function (event) {
      if (event.key !== "Escape") { return; }
      var now = Date.now();
      self.escTimes = self.escTimes.filter(function (t) { return now - t < 1000; });
      self.escTimes.push(now);
      if (self.escTimes.length >= 2) { self.quickExit(); }
    };
    document.addEventListener("keydown", this.onKey, true);
  };

  Widget.prototype.connect = function () {
    var self = this;
    if (options.keepSession) {
      try { self.sessionId = sessionStorage.getItem(STORAGE_KEY); } catch (e) { self.sessionId = null; }
    }
    if (!self.sessionId) { self.sessionId = randomId(); }
    if (options.keepSession) {
      try { sessionStorage.setItem(STORAGE_KEY, self.sessionId); } catch (e) { /* storage refused: fine */ }
    }
    if (typeof window.io !== "function") {
      var loader = el("script", { src: new URL("../vendor/socket.io.min.js", base).href });
      loader.onload = function () { self.connect(); };
      loader.onerror = function () { self.showError(); };
      document.head.appendChild(loader);
      self.loader = loader;
      return;
    }
    var socket = window.io(options.server, { path: "/socket.io", transports: ["websocket", "polling"], reconnectionAttempts: 5, timeout: 8000 });
    self.socket = socket;
    socket.on("connect", function () {
      self.error.setAttribute("hidden", "");
      socket.emit("session_request", { session_id: self.sessionId });
    });
    socket.on("session_confirm", function () {
      self.ready = true;
      var waiting = self.pending.splice(0);  // messages written while connecting are not lost
      waiting.forEach(function (payload) { socket.emit("user_uttered", { message: payload, session_id: self.sessionId }); });
    });
    socket.on("connect_error", function () { self.showError(); });
    socket.on("disconnect", function (reason) {
      self.ready = false;
      if (reason !== "io client disconnect") { self.showError(); }
    });
    socket.on("bot_uttered", function (message) { self.receive(message || {}); });
  };

  Widget.prototype.showError = function () {
    this.setTyping(false);
    if (this.error) { this.error.removeAttribute("hidden"); }
  };

  Widget.prototype.setTyping = function (on) {
    if (!this.typing) { return; }
    clearTimeout(this.typingTimer);
    if (on) {
      this.typing.removeAttribute("hidden");
      var self = this;
      this.typingTimer = setTimeout(function () { self.setTyping(false); }, 20000);
    } else {
      this.typing.setAttribute("hidden", "");
    }
  };

  Widget.prototype.addMessage = function (who, text) {
    var node = el("div", { "class": "sv-msg " + (who === "user" ? "sv-user" : "sv-bot") });
    node.appendChild(el("span", { "class": "sv-sr" }, who === "user" ? TEXT.you : TEXT.bot));
    appendText(node, text);
    this.log.appendChild(node);
    this.log.scrollTop = this.log.scrollHeight;
    return node;
  };

  Widget.prototype.receive = function (message) {
    this.setTyping(false);
    if (typeof message.text === "string" && message.text) { this.addMessage("bot", message.text); }
    var buttons = message.quick_replies || message.buttons || [];
    if (!buttons.length) { return; }
    var group = el("div", { "class": "sv-choices", role: "group", "aria-label": TEXT.choices });
    var self = this;
    buttons.forEach(function (b) {
      if (!b || typeof b.title !== "string") { return; }
      var button = el("button", { type: "button", "class": "sv-choice" }, b.title);
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (x) { x.disabled = true; });
        self.send(String(b.payload || b.title), b.title);
        self.input.focus();
      });
      group.appendChild(button);
    });
    this.log.appendChild(group);
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.send = function (payload, shown) {
    this.addMessage("user", shown);
    this.setTyping(true);
    if (!this.socket || !this.socket.connected || !this.ready) {
      this.pending.push(payload);  // sent as soon as the session is confirmed
      if (this.socket && !this.socket.connected && !this.socket.active) { this.showError(); }
      return;
    }
    this.socket.emit("user_uttered", { message: payload, session_id: this.sessionId });
  };

  // Quick exit: leave no trace in the page or in storage, and replace the page in the history.
  Widget.prototype.quickExit = function () {
    try { if (this.socket) { this.socket.disconnect(); } } catch (e) { /* ignore */ }
    try { sessionStorage.removeItem(STORAGE_KEY); } catch (e) { /* ignore */ }
    document.removeEventListener("keydown", this.onKey, true);
    if (this.host) { this.host.innerHTML = ""; }
    [this.root, this.styleNode, this.launcher, this.loader].forEach(function (node) {
      if (node && node.parentNode) { node.parentNode.removeChild(node); }
    });
    this.root = this.log = this.input = null;
    location.replace(options.exitUrl);
  };

  function start() { var widget = new Widget(); widget.mount(); window.SportelloVittime = { exit: function () { widget.quickExit(); } }; }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
