// One websocket with reconnects: exponential backoff (1 s doubling to 30 s) with jitter, an
// immediate retry when the browser comes back online, and a watchdog for silent dead sockets
// (the server pings every 20 s, so 45 s of silence means the connection is gone).
// Shared by the widget and the agent console (handover/web/console/src/socket.js); handlers:
// open(), event(frame), down(closeCode) and optionally connecting().
var BACKOFF_MIN = 1000, BACKOFF_MAX = 30000, SILENCE_MS = 45000, PING_MS = 25000;

function Connection(url, handlers) {
  this.url = url;
  this.handlers = handlers;
  this.ws = null;
  this.timer = null;
  this.backoff = BACKOFF_MIN;
  this.lastIn = 0;
  this.lastOut = 0;
  this.wanted = false;
  var self = this;
  window.addEventListener("online", function () { if (self.wanted && !self.ws) { self.backoff = BACKOFF_MIN; self.connect(); } });
  window.addEventListener("offline", function () { self.drop(); });
  setInterval(function () { self.watch(); }, 5000);
}

Connection.prototype.isOpen = function () { return !!this.ws && this.ws.readyState === 1; };

Connection.prototype.connect = function () {
  this.wanted = true;
  clearTimeout(this.timer);
  if (this.ws) return;
  if (navigator.onLine === false) { this.handlers.down(); return; }  // the "online" event brings us back
  var self = this, ws;
  try { ws = new WebSocket(this.url); } catch (e) { this.retry(); return; }
  this.ws = ws;
  if (this.handlers.connecting) this.handlers.connecting();
  ws.onopen = function () { self.backoff = BACKOFF_MIN; self.lastIn = Date.now(); self.handlers.open(); };
  ws.onmessage = function (msg) {
    self.lastIn = Date.now();
    var event;
    try { event = JSON.parse(msg.data); } catch (e) { return; }
    if (event && typeof event === "object") self.handlers.event(event);
  };
  ws.onclose = function (e) { if (self.ws === ws) { self.ws = null; self.handlers.down(e.code); self.retry(); } };
};

// Forget the socket at once: a close handshake over a dead network can take minutes.
Connection.prototype.drop = function () {
  var ws = this.ws;
  if (!ws) return;
  this.ws = null;
  ws.onclose = ws.onmessage = ws.onopen = null;
  try { ws.close(); } catch (e) { /* already closed */ }
  this.handlers.down();
  this.retry();
};

// Stop for good (logout): no reconnect until connect() is called again.
Connection.prototype.close = function () {
  this.wanted = false;
  clearTimeout(this.timer);
  var ws = this.ws;
  if (!ws) return;
  this.ws = null;
  ws.onclose = ws.onmessage = ws.onopen = null;
  try { ws.close(1000); } catch (e) { /* already closed */ }
  this.handlers.down();
};

Connection.prototype.retry = function () {
  if (!this.wanted) return;
  var self = this;
  var wait = Math.min(this.backoff, BACKOFF_MAX) * (0.5 + Math.random());
  this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX);
  clearTimeout(this.timer);
  this.timer = setTimeout(function () { self.connect(); }, wait);
};

Connection.prototype.send = function (frame) {
  if (!this.isOpen()) return false;
  this.ws.send(JSON.stringify(frame));
  this.lastOut = Date.now();
  return true;
};

Connection.prototype.watch = function () {
  if (!this.isOpen()) return;
  var now = Date.now();
  if (now - this.lastIn > SILENCE_MS) this.drop();
  else if (now - this.lastOut > PING_MS) this.send({ type: "ping", id: newId() });
};

var idCounter = 0;
function newId() {
  idCounter += 1;
  var random = (window.crypto && crypto.getRandomValues) ? crypto.getRandomValues(new Uint32Array(2)).join("") : String(Math.random()).slice(2);
  return "w" + Date.now().toString(36) + "-" + idCounter + "-" + Number(random.slice(0, 12)).toString(36);
}
