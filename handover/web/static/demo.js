// Minimal demo client of protocol v1 (docs/protocol.md). The real widget lives in widget/.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var statusEl = document.getElementById("status");
  var typingEl = document.getElementById("typing");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var KEY = "gemeente-chat-demo";
  var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  var lastSeq = saved ? saved.lastSeq : 0;
  var seen = {};
  var pending = [];
  var ws = null;
  var ready = false;
  var backoff = 1000;
  var counter = 0;
  var WHO = { resident: "Jij", bot: "Assistent", agent: "Medewerker", system: "Melding" };

  function newId() { counter += 1; return Date.now().toString(36) + "-" + counter; }
  function save(token) {
    saved = { token: token || (saved && saved.token), lastSeq: lastSeq };
    sessionStorage.setItem(KEY, JSON.stringify(saved));
  }
  function send(frame) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame)); }

  function render(ev) {
    if (seen[ev.seq]) return;
    seen[ev.seq] = true;
    lastSeq = Math.max(lastSeq, ev.seq);
    save();
    if (ev.type !== "message") return;
    var li = document.createElement("li");
    li.className = ev.author;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = ev.author_name || WHO[ev.author] || ev.author;
    var body = document.createElement("span");
    body.textContent = ev.text;  // untrusted: always text, never HTML
    li.appendChild(who);
    li.appendChild(body);
    if (ev.buttons && ev.buttons.length) {
      var group = document.createElement("div");
      group.className = "buttons";
      ev.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () {
          var frame = { type: "button", id: newId(), payload: b.payload, title: b.title };
          pending.push(frame);
          send(frame);
        });
        group.appendChild(button);
      });
      li.appendChild(group);
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function settle(id) { pending = pending.filter(function (f) { return f.id !== id; }); }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/chat");
    ws.onopen = function () {
      backoff = 1000;
      if (saved && saved.token) {
        send({ type: "resume", id: newId(), token: saved.token, last_seq: lastSeq });
      } else {
        send({ type: "start", id: newId(), context: { page: location.href, referrer: document.referrer || null, channel: "website", lang: "nl" } });
      }
    };
    ws.onmessage = function (msg) {
      var ev = JSON.parse(msg.data);
      if (ev.type === "started") { save(ev.token); ready = true; statusEl.textContent = "Verbonden."; flush(); }
      else if (ev.type === "resumed") {
        if (!ev.recovered) { log.textContent = ""; seen = {}; lastSeq = 0; }
        ready = true; statusEl.textContent = "Verbonden."; flush();
      }
      else if (ev.type === "ack") { settle(ev.reply_to); }
      else if (ev.type === "message" || ev.type === "state") {
        if (ev.reply_to) settle(ev.reply_to);  // a message of ours answers its frame (no ack)
        render(ev);
      }
      else if (ev.type === "typing" && ev.author !== "resident") { typingEl.textContent = ev.active ? "De assistent denkt na…" : ""; }
      else if (ev.type === "error") {
        if (ev.code === "unknown_conversation") { sessionStorage.removeItem(KEY); saved = null; lastSeq = 0; ws.close(); }
        else { statusEl.textContent = ev.message; if (ev.code !== "rate_limited") settle(ev.reply_to); }
      }
    };
    ws.onclose = function () {
      ready = false;
      statusEl.textContent = "Geen verbinding. We proberen het opnieuw…";
      var wait = Math.min(backoff, 30000) * (0.5 + Math.random());
      backoff *= 2;
      setTimeout(connect, wait);
    };
  }
  function flush() { pending.forEach(send); }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var frame = { type: "message", id: newId(), text: text };
    pending.push(frame);
    if (ready) send(frame);
    input.value = "";
  });
  connect();
})();
