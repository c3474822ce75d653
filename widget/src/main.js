// Wiring: the conversation rules of docs/protocol.md (start/resume, outbox, dedupe by seq).
function ChatWidget(script) {
  var cfg = readConfig(script);
  var t = translator(cfg.lang, cfg.texts);
  var store = new Store("gemeente-chat:" + cfg.server);
  var data = store.data;
  if (!data.token && !data.landing) { data.landing = pageContext(cfg); store.save(); }

  var hostEl = document.createElement("div");
  hostEl.setAttribute("data-gemeente-chat", "");
  Object.keys(cfg.colors).forEach(function (name) { if (cfg.colors[name]) hostEl.style.setProperty(name, cfg.colors[name]); });
  var root = hostEl.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_CSS);  // not an inline <style>: works under a strict style-src CSP
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(h("style", { text: WIDGET_CSS }));
  }

  var seen = {};            // seq -> true: nothing shows twice
  var ready = false;        // this socket has started or resumed the conversation
  var greeting = false;     // a start or resume is on its way: another one would only be refused
  var startId = null;
  var state = "bot";
  var agentName = null;
  var lastTyping = 0;

  var view = new View(root, t, cfg, {
    open: function (open) { data.open = open; store.save(); view.setOpen(open, true); if (open) conn.connect(); },
    say: function (text) { queue({ type: "message", id: newId(), text: text }, text); },
    human: function () { queue({ type: "request_human", id: newId() }); },
    cancelQueue: function () { queue({ type: "cancel_queue", id: newId() }); },
    callback: function (details) { queue(Object.assign({ type: "callback", id: newId() }, details)); },
    typing: function () {
      if (state !== "assigned" || !ready || Date.now() - lastTyping < 3000) return;
      lastTyping = Date.now();
      conn.send({ type: "typing", id: newId(), active: true });
    },
    feedback: function (score, comment) {
      var frame = { type: "feedback", id: newId(), score: score };
      if (comment) frame.comment = comment.slice(0, 1000);
      queue(frame);
      data.feedback = true; store.save();
      showState();
      view.thanks.focus();
    },
    download: download,
    restart: function () {
      store.reset(); seen = {}; ready = false; state = "bot"; agentName = null;
      view.clear(); conn.drop(); showState(); view.input.focus();
    }
  });

  var conn = new Connection(cfg.server.replace(/^http/, "ws") + "/ws/chat", {
    open: function () { view.offline.hidden = true; greeting = false; hello(); },
    down: function () { ready = false; greeting = false; view.offline.hidden = false; view.typing.hidden = true; },
    event: handle
  });

  // Messages typed before the answer to a start arrives wait in the outbox: a second start on
  // the same socket would be refused and its id would hide the answer to the first.
  function hello() {
    if (greeting) return;
    if (data.token) greeting = conn.send({ type: "resume", id: newId(), token: data.token, last_seq: data.lastSeq });
    else if (data.outbox.length) {
      startId = newId();
      var context = Object.assign({}, data.landing || pageContext(cfg), { page: location.href.slice(0, 2048), lang: cfg.lang });
      greeting = conn.send({ type: "start", id: startId, context: context });
    }
  }

  // Every frame waits in the outbox (sessionStorage) until the server acknowledges it; it is
  // sent again with the same id after a reconnect, and the server stores it only once.
  function queue(frame, shownText) {
    data.outbox.push(frame); store.save();
    if (shownText !== undefined) view.pending(frame.id, shownText);
    if (ready) conn.send(frame);
    else if (conn.isOpen()) hello();
    else conn.connect();
  }

  function showPending() {
    data.outbox.forEach(function (f) { if (f.type === "message" || f.type === "button") view.pending(f.id, f.text || f.title); });
  }

  function flush() { data.outbox.forEach(function (frame) { conn.send(frame); }); }

  function settle(id) {
    var before = data.outbox.length;
    data.outbox = data.outbox.filter(function (f) { return f.id !== id; });
    if (data.outbox.length !== before) store.save();
  }

  function record(ev, live) {
    if (typeof ev.seq !== "number" || seen[ev.seq]) return;
    seen[ev.seq] = true;
    if (ev.client_id) view.confirm(ev.client_id);
    if (live) {
      data.events.push(ev);
      data.lastSeq = Math.max(data.lastSeq, ev.seq);
      store.save();
    }
    if (ev.type === "state") {
      state = ev.state;
      if (ev.state === "assigned") agentName = ev.agent_name || null;
      if (ev.state !== "queued") view.queue.hidden = true;
      if (data.offer && ev.seq > data.offer.seq) { data.offer = null; store.save(); }
    }
    var offerWasHidden = view.callback.hidden;
    view.render(ev, live, press);
    showState();
    // The availability event may overtake the "queued" state it belongs to: the form shows now.
    if (live && offerWasHidden && !view.callback.hidden) refocus(view.cb_name, view.humanButton);
    // The control the resident used may have just disappeared: put focus where the next step is.
    if (live && ev.state === "closed" && !data.feedback) refocus(view.feedbackForm.querySelector("input"));
    if (live && ev.state === "callback_requested") refocus(view.cbDone);
  }

  function refocus(el, also) {
    var active = root.activeElement;
    if (!view.panel.hidden && (!active || active === also || !active.getClientRects().length)) el.focus();
  }

  function press(button) {
    queue({ type: "button", id: newId(), payload: String(button.payload), title: String(button.title) }, String(button.title));
    view.input.focus();
  }

  function showState() {
    var closed = state === "closed" || state === "abandoned";
    view.who.textContent = state === "assigned" ? (agentName ? t("withAgent", { name: agentName }) : t("assignedNoName"))
      : state === "queued" ? t("queued") : t("withBot");
    view.input.disabled = view.sendButton.disabled = view.humanButton.disabled = closed;
    view.form.hidden = closed;
    view.newChat.hidden = !closed;
    view.humanButton.hidden = state === "queued" || state === "assigned";
    view.feedback.hidden = state !== "closed";
    view.feedbackForm.hidden = data.feedback;
    view.thanks.hidden = !data.feedback;
    var done = state === "callback_requested";
    view.callback.hidden = !done && !(data.offer && state === "queued");
    view.cbForm.hidden = done;
    view.cbDone.hidden = !done;
    if (data.offer) view.cbIntro.textContent = data.offer.reason === "closed" && data.offer.hours
      ? t("cbClosed", { hours: data.offer.hours }) : t("cbNoAgents");
  }

  function handle(ev) {
    switch (ev.type) {
      case "started":
        if (ev.reply_to !== startId) return;
        data.token = ev.token; data.lastSeq = 0; data.events = []; data.feedback = false; store.save();
        state = ev.state || "bot"; ready = true; greeting = false; showState(); flush();
        return;
      case "resumed":
        if (ev.recovered === false) { data.events = []; data.lastSeq = 0; seen = {}; view.clear(); showPending(); store.save(); }
        state = ev.state || state; ready = true; greeting = false; showState(); flush();
        return;
      case "ack":
        settle(ev.reply_to);
        if (typeof ev.seq === "number" && seen[ev.seq]) view.confirm(ev.reply_to);
        return;
      case "message": case "state":
        // A message of ours answers its frame (reply_to) instead of an ack.
        if (ev.reply_to) settle(ev.reply_to);
        record(ev, true);
        return;
      case "typing":
        if (ev.author === "resident") return;
        view.typing.hidden = !ev.active;
        view.typing.textContent = ev.author === "agent" ? t("typingAgent", { name: agentName || t("agent") }) : t("typingBot");
        return;
      case "queue":
        view.queue.hidden = false;
        var text = t("position", { n: ev.position });
        if (typeof ev.expected_wait_seconds === "number") {
          text += " " + (ev.expected_wait_seconds < 60 ? t("waitShort") : t("waitMinutes", { n: Math.ceil(ev.expected_wait_seconds / 60) }));
        }
        if (view.queueText.textContent !== text) { view.queueText.textContent = text; view.announce(text); }
        return;
      case "availability":
        // No agent can take the chat (none online, or the team is closed): offer a call-back.
        if (ev.available !== false) return;
        data.offer = { seq: ev.seq || data.lastSeq, reason: ev.reason, hours: ev.opening_hours || "" }; store.save();
        view.cbSubmit.disabled = false; view.cbSubmit.textContent = t("cbSend");
        showState();
        if (!view.callback.hidden) { view.scrollDown(); refocus(view.cb_name, view.humanButton); }
        return;
      case "error":
        return failed(ev);
    }
  }

  function failed(ev) {
    if (ev.reply_to === startId) greeting = false;  // the start itself was refused
    var frame = data.outbox.filter(function (f) { return f.id === ev.reply_to; })[0];
    if (ev.code === "rate_limited") { setTimeout(function () { if (ready) flush(); }, 1000 * (ev.retry_after || 2)); return; }
    if (ev.code === "unknown_conversation") {
      // The token is no longer valid: begin again, keeping what the resident still wants to send.
      data.token = null; data.lastSeq = 0; data.events = []; seen = {}; view.clear(); showPending(); store.save();
      greeting = false;
      if (data.outbox.length) hello();
      return;
    }
    if (ev.code === "not_started") { conn.drop(); return; }
    if (!frame) return;
    settle(frame.id);
    view.confirm(frame.id);
    if (frame.type === "callback") return view.callbackFailed(ev.message || ev.code);
    if (ev.code === "unknown_type") {
      // A server without live handover: ask the assistant for a person in words instead.
      if (frame.type === "request_human") view.actions_say(t("humanText"));
      return;
    }
    if (ev.code === "conversation_closed") { state = "closed"; showState(); }
    if (ev.message) view.notice(ev.message);
  }
  view.actions_say = function (text) { queue({ type: "message", id: newId(), text: text }, text); };

  function download() {
    var lines = [t("transcriptTitle"), t("transcriptSaved") + " " + new Date().toLocaleString(cfg.lang === "en" ? "en-GB" : "nl-NL"), ""];
    data.events.forEach(function (ev) {
      if (ev.type === "state") { var s = view.stateText(ev); if (s) lines.push("— " + s); return; }
      lines.push("[" + clock(ev.at) + "] " + view.label(ev) + ": " + (ev.text || ""));
      if (ev.link && ev.link.url) lines.push("    " + (ev.link.title || "") + " " + ev.link.url);
    });
    var blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/plain;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = h("a", { href: url, download: t("file") + "-" + new Date().toISOString().slice(0, 10) + ".txt" });
    root.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  // Show what this tab already has at once (also offline), then catch up from the server.
  data.events.forEach(function (ev) { record(ev, false); });
  showPending();
  showState();
  (document.body || document.documentElement).appendChild(hostEl);
  if (data.open || cfg.open) view.setOpen(true, false);
  if (data.token || data.outbox.length) conn.connect();
  return { open: function () { view.setOpen(true, true); conn.connect(); } };
}

(function boot() {
  var script = document.currentScript;
  function run() { if (!window.GemeenteChat) window.GemeenteChat = ChatWidget(script); }
  if (document.body) run(); else document.addEventListener("DOMContentLoaded", run);
})();
