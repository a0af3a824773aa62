/*
 * Sportello Vittime - the chat inside the widget's sandboxed iframe (frame.html).
 *
 * The embedding page only holds the iframe: everything the person reads and writes stays in this
 * document, on the assistant's own origin. Options arrive in the URL fragment (set by
 * sportello-widget.js): title, exit (neutral page of the quick exit), session=1 (keep the
 * conversation for the tab in sessionStorage), host=1 (the embed script shows the exit button).
 *
 * Session: the server issues the conversation and a signed token (session_confirm); the token is
 * kept in memory to continue after a reconnection, and in sessionStorage only with session=1.
 *
 * Quick exit (button or Esc twice): forget everything here, ask the parent page to replace itself
 * (postMessage); if the parent does not acknowledge, navigate the top page from here (the sandbox
 * allows it after a click) or, without a click, close the chat and offer the exit button.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(location.hash.slice(1));
  var exitUrl = params.get("exit") || "";
  var options = {
    title: (params.get("title") || "Sportello Vittime").slice(0, 80),
    exitUrl: /^https?:\/\/[^\s]+$/i.test(exitUrl) ? exitUrl : "https://www.google.it",
    keepSession: params.get("session") === "1",
    hostExit: params.get("host") === "1" && window.parent !== window
  };
  var meta = document.querySelector('meta[name="sportello-socket"]');
  var socketUrl = meta && /^https?:\/\//.test(meta.content) ? meta.content : location.origin;
  var STORAGE_KEY = "sportello-vittime-session";
  var ACK_WAIT_MS = 300;
  var TEXT = {
    notice: "Questa chat non lascia dati sul tuo dispositivo: niente cookie né memoria locale. " +
      "Il sito che la ospita non vede cosa scrivi. " +
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
    leave: "Questo collegamento apre {host} in questa scheda, al posto della pagina e della chat.",
    leaveGo: "Apri il collegamento",
    leaveStay: "Resta nella chat",
    closed: "La chat è stata chiusa e cancellata da questa pagina. Per uscire usa il pulsante qui sotto."
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function storage(action, value) {
    try {
      if (action === "get") { return sessionStorage.getItem(STORAGE_KEY); }
      if (action === "set") { sessionStorage.setItem(STORAGE_KEY, value); }
      if (action === "clear") { sessionStorage.removeItem(STORAGE_KEY); }
    } catch (e) { /* storage refused (third-party storage blocked): fine, nothing is kept */ }
    return null;
  }

  function tellParent(type) {
    // Only a word, never any content: the parent may be any site allowed to embed the widget.
    if (window.parent !== window) { window.parent.postMessage({ sportelloVittime: type }, "*"); }
  }

  function Chat() {
    this.socket = null;
    this.token = options.keepSession ? storage("get") : null;
    this.ready = false;
    this.pending = [];
    this.escTimes = [];
    this.typingTimer = null;
    this.exitTimer = null;
  }

  Chat.prototype.render = function () {
    var root = el("main", { "class": "sv-widget", "aria-labelledby": "sv-title" });
    var header = el("div", { "class": "sv-header" });
    header.appendChild(el("h1", { "class": "sv-title", id: "sv-title" }, options.title));
    if (!options.hostExit) {  // embedded without the script: the exit button lives here
      var exit = el("button", { type: "button", "class": "sv-exit", title: TEXT.exitHint,
                                "aria-describedby": "sv-notice" }, TEXT.exit);
      header.appendChild(exit);
      exit.addEventListener("click", this.quickExit.bind(this, true));
    }
    root.appendChild(header);
    root.appendChild(el("p", { "class": "sv-notice", id: "sv-notice" }, TEXT.notice));
    this.log = el("div", { "class": "sv-log", role: "log", "aria-live": "polite", "aria-label": TEXT.log, tabindex: "0" });
    root.appendChild(this.log);
    this.typing = el("div", { "class": "sv-typing", hidden: "" });
    this.typing.appendChild(el("span", {}, TEXT.typing));
    root.appendChild(this.typing);
    this.error = el("p", { "class": "sv-error", role: "alert", hidden: "" }, TEXT.offline);
    root.appendChild(this.error);

    var form = el("form", { "class": "sv-form", autocomplete: "off" });
    form.appendChild(el("label", { "for": "sv-input" }, TEXT.label));
    this.input = el("input", { id: "sv-input", "class": "sv-input", type: "text", maxlength: "2000",
                               placeholder: TEXT.placeholder, autocomplete: "off" });
    form.appendChild(this.input);
    form.appendChild(el("button", { type: "submit", "class": "sv-send" }, TEXT.send));
    root.appendChild(form);

    var self = this;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) { return; }
      self.input.value = "";
      self.send(text, text);
    });
    document.body.appendChild(root);
    this.root = root;
  };

  Chat.prototype.bind = function () {
    var self = this;
    this.onKey = function (event) {
      if (event.key !== "Escape") { return; }
      var now = Date.now();
      self.escTimes = self.escTimes.filter(function (t) { return now - t < 1000; });
      self.escTimes.push(now);
      if (self.escTimes.length >= 2) { self.quickExit(false); }
    };
    document.addEventListener("keydown", this.onKey, true);
    this.onMessage = function (event) {
      if (event.source !== window.parent || !event.data || typeof event.data !== "object") { return; }
      var type = event.data.sportelloVittime;
      if (type === "exiting") {  // the parent replaces itself: no fallback needed
        clearTimeout(self.exitTimer);
      } else if (type === "forget") {  // the parent's exit button: clear, then let it go
        self.forget();
        tellParent("forgotten");
      } else if (type === "focus" && self.input) {
        self.input.focus();
      }
    };
    window.addEventListener("message", this.onMessage);
  };

  Chat.prototype.connect = function () {
    var self = this;
    if (typeof window.io !== "function") { this.showError(); return; }
    var socket = window.io(socketUrl, { path: "/socket.io", transports: ["websocket", "polling"],
                                        reconnectionAttempts: 5, timeout: 8000 });
    this.socket = socket;
    socket.on("connect", function () {
      self.error.setAttribute("hidden", "");
      socket.emit("session_request", self.token ? { session_token: self.token } : {});
    });
    socket.on("session_confirm", function (data) {
      if (!data || typeof data.session_token !== "string") { return; }
      self.token = data.session_token;  // kept in memory: a reconnection continues the conversation
      if (options.keepSession) { storage("set", self.token); }
      self.ready = true;
      var waiting = self.pending.splice(0);  // messages written while connecting are not lost
      waiting.forEach(function (payload) { socket.emit("user_uttered", { message: payload }); });
    });
    socket.on("session_error", function () {
      self.ready = false;
      socket.emit("session_request", self.token ? { session_token: self.token } : {});
    });
    socket.on("connect_error", function () { self.showError(); });
    socket.on("disconnect", function (reason) {
      self.ready = false;
      if (reason !== "io client disconnect") { self.showError(); }
    });
    socket.on("bot_uttered", function (message) { self.receive(message || {}); });
  };

  Chat.prototype.showError = function () {
    this.setTyping(false);
    if (this.error) { this.error.removeAttribute("hidden"); }
  };

  Chat.prototype.setTyping = function (on) {
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

  // Text with safe links: only http(s) URLs become <a>; they open in this tab, after a warning.
  Chat.prototype.appendText = function (node, text) {
    var pattern = /\bhttps?:\/\/[^\s<>"']+/g;
    var last = 0, match, self = this;
    while ((match = pattern.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      var url = match[0].replace(/[).,;:!?]+$/, "");
      var link = el("a", { href: url, target: "_top", rel: "noopener noreferrer" }, url);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        self.warnLeaving(event.currentTarget);
      });
      node.appendChild(link);
      last = match.index + url.length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  };

  Chat.prototype.warnLeaving = function (link) {
    var old = this.log.querySelector(".sv-leave");
    if (old) { old.parentNode.removeChild(old); }
    var box = el("div", { "class": "sv-leave", role: "group", "aria-labelledby": "sv-leave-text" });
    box.appendChild(el("p", { id: "sv-leave-text", role: "alert" }, TEXT.leave.replace("{host}", new URL(link.href).host)));
    var go = el("a", { "class": "sv-leave-go", href: link.href, target: "_top", rel: "noopener noreferrer" }, TEXT.leaveGo);
    var stay = el("button", { type: "button", "class": "sv-leave-stay" }, TEXT.leaveStay);
    box.appendChild(go);
    box.appendChild(stay);
    link.parentNode.parentNode.insertBefore(box, link.parentNode.nextSibling);
    stay.addEventListener("click", function () { box.parentNode.removeChild(box); link.focus(); });
    go.focus();
  };

  Chat.prototype.addMessage = function (who, text) {
    var node = el("div", { "class": "sv-msg " + (who === "user" ? "sv-user" : "sv-bot") });
    node.appendChild(el("span", { "class": "sv-sr" }, who === "user" ? TEXT.you : TEXT.bot));
    this.appendText(node, text);
    this.log.appendChild(node);
    this.log.scrollTop = this.log.scrollHeight;
    return node;
  };

  Chat.prototype.receive = function (message) {
    if (!this.log) { return; }
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

  Chat.prototype.send = function (payload, shown) {
    this.addMessage("user", shown);
    this.setTyping(true);
    if (!this.socket || !this.socket.connected || !this.ready) {
      this.pending.push(payload);  // sent as soon as the session is confirmed
      if (this.socket && !this.socket.connected && !this.socket.active) { this.showError(); }
      return;
    }
    this.socket.emit("user_uttered", { message: payload });
  };

  // Leave no trace here: no socket, no token, no text in the page.
  Chat.prototype.forget = function () {
    try {
      // the server erases this conversation for real (events and any handoff record) after this turn
      if (this.socket && this.socket.connected && this.ready) { this.socket.emit("user_uttered", { message: "/exit_chat" }); }
      if (this.socket) { this.socket.disconnect(); }
    } catch (e) { /* ignore */ }
    this.socket = null;
    this.token = null;
    this.pending = [];
    storage("clear");
    clearTimeout(this.typingTimer);
    document.body.textContent = "";
    this.root = this.log = this.input = this.typing = this.error = null;
  };

  // byClick: the exit button (a user activation: the sandbox lets this frame navigate the top page).
  Chat.prototype.quickExit = function (byClick) {
    this.forget();
    document.removeEventListener("keydown", this.onKey, true);
    tellParent("exit");
    var self = this;
    clearTimeout(this.exitTimer);
    this.exitTimer = setTimeout(function () { self.exitFromHere(byClick); }, window.parent === window ? 0 : ACK_WAIT_MS);
  };

  Chat.prototype.exitFromHere = function (byClick) {
    try {
      if (byClick) { window.top.location.replace(options.exitUrl); return; }
    } catch (e) { /* the top page refused: offer the button below */ }
    var box = el("div", { "class": "sv-closed" });
    box.appendChild(el("p", { role: "alert" }, TEXT.closed));
    var exit = el("button", { type: "button", "class": "sv-exit" }, TEXT.exit);
    exit.addEventListener("click", function () {
      try { window.top.location.replace(options.exitUrl); } catch (e) { location.replace(options.exitUrl); }
    });
    box.appendChild(exit);
    document.body.appendChild(box);
    exit.focus();
  };

  function start() {
    var chat = new Chat();
    chat.render();
    chat.bind();
    chat.connect();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
