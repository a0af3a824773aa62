/*
 * Sportello Vittime - embed script of the website chat widget.
 *
 * Embed:   <div id="sportello-vittime"></div>
 *          <script src="https://ASSISTANT-SERVER/widget/sportello-widget.js" defer></script>
 * Options (data- attributes of the script tag):
 *   data-title           Title shown in the chat. Default "Sportello Vittime".
 *   data-exit-url        Neutral page opened by "Esci subito". Default https://www.google.it
 *   data-container       id of the element to fill. Default "sportello-vittime"; if missing,
 *                        a floating launcher button opens the chat.
 *   data-session-storage "true" keeps the conversation for the browser tab (sessionStorage of the
 *                        assistant's origin, inside the iframe); default: nothing is kept.
 *
 * The chat runs in a sandboxed iframe served by the assistant (frame.html): this page only holds
 * the iframe and a fixed "Esci subito" button, never what the person writes or reads; scripts of
 * this page cannot reach into the iframe. The site must be listed in the assistant's
 * SV_ALLOWED_EMBEDDERS, or the browser refuses to show the iframe.
 *
 * Quick exit (the button, Esc twice here or in the chat): the page is replaced (Back does not
 * return) and the widget is removed. No cookies, no localStorage; styles are set through the DOM
 * (no <style> element, no inline style attributes).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var frameUrl = new URL("frame.html", script && script.src ? script.src : location.href);
  var frameOrigin = frameUrl.origin;
  var exitUrl = /^https?:\/\//i.test(data.exitUrl || "") ? data.exitUrl : "https://www.google.it";
  var options = {
    title: data.title || "Sportello Vittime",
    exitUrl: exitUrl,
    container: data.container || "sportello-vittime",
    keepSession: data.sessionStorage === "true"
  };
  var FORGET_WAIT_MS = 300;
  var TEXT = {
    exit: "Esci subito",
    exitHint: "Chiude la chat e apre un altro sito (anche: premi due volte Esc)",
    frame: "Chat di Sportello Vittime",
    open: "Apri la chat di Sportello Vittime",
    close: "Chiudi la chat"
  };
  var Z = "2147483000";

  function el(tag, attrs, styles, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    Object.keys(styles || {}).forEach(function (key) { node.style.setProperty(key, styles[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function focusRing(button) {
    button.addEventListener("focus", function () {
      button.style.setProperty("outline", "3px solid #ffbf47");
      button.style.setProperty("box-shadow", "0 0 0 6px #1b1b1b");
    });
    button.addEventListener("blur", function () {
      button.style.removeProperty("outline");
      button.style.removeProperty("box-shadow");
    });
  }

  function Embed() {
    this.frame = null;
    this.nodes = [];
    this.escTimes = [];
    this.leaving = false;
  }

  Embed.prototype.mount = function () {
    var self = this;
    // Fixed to the viewport and first in the tab order: reachable at any scroll, on any screen.
    this.exitButton = el("button", { type: "button", "class": "sv-exit", title: TEXT.exitHint,
                                     "data-sportello-vittime": "exit" }, {
      position: "fixed", top: "8px", right: "8px", "z-index": Z, margin: "0", padding: "10px 14px",
      background: "#a4000f", color: "#fff", border: "2px solid #fff", "border-radius": "6px",
      font: "700 16px/1.2 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif", cursor: "pointer",
      "box-shadow": "0 1px 4px rgba(0,0,0,.4)"
    }, TEXT.exit);
    focusRing(this.exitButton);
    this.exitButton.addEventListener("click", function () { self.exit(); });
    document.body.insertBefore(this.exitButton, document.body.firstChild);
    this.nodes.push(this.exitButton);

    var host = document.getElementById(options.container);
    if (host) {
      this.host = host;
      this.createFrame(host, { display: "block", width: "100%", "max-width": "440px", height: "560px",
                               "max-height": "calc(100vh - 72px)", "min-height": "320px" });
    } else {
      this.floating();
    }
    this.onKey = function (event) {
      if (event.key !== "Escape") { return; }
      var now = Date.now();
      self.escTimes = self.escTimes.filter(function (t) { return now - t < 1000; });
      self.escTimes.push(now);
      if (self.escTimes.length >= 2) { self.exit(); }
    };
    document.addEventListener("keydown", this.onKey, true);
    this.onMessage = function (event) {
      if (!self.frame || event.source !== self.frame.contentWindow || event.origin !== frameOrigin) { return; }
      var type = event.data && event.data.sportelloVittime;
      if (type === "exit") {
        event.source.postMessage({ sportelloVittime: "exiting" }, frameOrigin);
        self.leave();
      } else if (type === "forgotten") {
        self.leave();
      }
    };
    window.addEventListener("message", this.onMessage);
  };

  Embed.prototype.createFrame = function (parent, styles) {
    var hash = new URLSearchParams({ title: options.title, exit: options.exitUrl, host: "1" });
    if (options.keepSession) { hash.set("session", "1"); }
    var frame = el("iframe", {
      "class": "sv-frame", title: TEXT.frame, src: frameUrl.href + "#" + hash.toString(),
      // Own origin (for its Socket.IO origin and sessionStorage), scripts, its form, and a
      // top-page navigation only after a click (quick exit and links when this page ignores it).
      sandbox: "allow-scripts allow-same-origin allow-forms allow-top-navigation-by-user-activation",
      referrerpolicy: "no-referrer", allow: "", loading: "eager"
    }, Object.assign({ border: "1px solid #6b6b6b", "border-radius": "8px", background: "#fff",
                       "box-sizing": "border-box" }, styles));
    parent.appendChild(frame);
    this.frame = frame;
    if (parent !== document.body) { this.nodes.push(frame); }
    return frame;
  };

  // No container on the page: a launcher opens a floating panel (the iframe loads at first open).
  Embed.prototype.floating = function () {
    var self = this;
    var panel = el("div", { "data-sportello-vittime": "panel", hidden: "" }, {
      position: "fixed", right: "16px", bottom: "76px", "z-index": Z, width: "calc(100vw - 32px)",
      "max-width": "440px", height: "min(560px, calc(100vh - 150px))"
    });
    var launcher = el("button", { type: "button", "class": "sv-launcher", "aria-expanded": "false" }, {
      position: "fixed", right: "16px", bottom: "16px", "z-index": Z, background: "#1d4f91", color: "#fff",
      border: "2px solid #fff", "border-radius": "24px", padding: "12px 18px",
      font: "700 16px/1 system-ui,sans-serif", cursor: "pointer"
    }, TEXT.open);
    focusRing(launcher);
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    this.nodes.push(panel, launcher);
    launcher.addEventListener("click", function () {
      var open = panel.hasAttribute("hidden");
      if (open) {
        panel.removeAttribute("hidden");
        if (!self.frame) {
          self.createFrame(panel, { width: "100%", height: "100%" });
          self.frame.addEventListener("load", function () { self.frame.contentWindow.postMessage({ sportelloVittime: "focus" }, frameOrigin); });
        } else {
          self.frame.contentWindow.postMessage({ sportelloVittime: "focus" }, frameOrigin);
        }
        self.frame.focus();
      } else {
        panel.setAttribute("hidden", "");
      }
      launcher.setAttribute("aria-expanded", String(open));
      launcher.textContent = open ? TEXT.close : TEXT.open;
    });
  };

  // This page's exit: with a conversation kept in the tab, the iframe forgets it first (briefly).
  Embed.prototype.exit = function () {
    if (this.leaving) { return; }
    var self = this;
    if (options.keepSession && this.frame && this.frame.contentWindow) {
      this.frame.contentWindow.postMessage({ sportelloVittime: "forget" }, frameOrigin);
      setTimeout(function () { self.leave(); }, FORGET_WAIT_MS);
      return;
    }
    this.leave();
  };

  // Remove every trace of the widget from this page and replace the page (Back does not return).
  Embed.prototype.leave = function () {
    if (this.leaving) { return; }
    this.leaving = true;
    document.removeEventListener("keydown", this.onKey, true);
    window.removeEventListener("message", this.onMessage);
    if (this.frame && this.frame.parentNode) { this.frame.parentNode.removeChild(this.frame); }
    this.nodes.forEach(function (node) { if (node.parentNode) { node.parentNode.removeChild(node); } });
    this.frame = null;
    location.replace(options.exitUrl);
  };

  function start() {
    var embed = new Embed();
    embed.mount();
    window.SportelloVittime = { exit: function () { embed.exit(); } };
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
