// The agent protocol over /ws/agent (docs/protocol.md, "Agent console"): frames with an id wait in
// `pending` for their ack or error, and are sent again after a reconnect (same id: stored once).
function setConnection(text) { $("connection").textContent = text; }

// The socket itself is the widget's Connection (widget/src/connection.js): the same backoff with
// jitter, offline/online handling and silence watchdog. The server speaks first (hello), so the
// chats are reopened from there; 4401 means the session ended.
var conn = new Connection((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent", {
  connecting: function () { setConnection("Verbinden…"); },
  open: function () { /* wait for hello */ },
  event: handle,
  down: function (code) {
    stopTyping();
    if (code === 4401) { showLogin("Je sessie is verlopen. Log opnieuw in."); return; }
    if (conn.wanted) setConnection("Geen verbinding. Opnieuw verbinden…");
  }
});

function send(frame, onAck, onError) {
  frame.id = frame.id || newId();
  if (frame.type !== "typing") pending[frame.id] = { frame: frame, onAck: onAck, onError: onError };
  if (frame.type === "message" || frame.type === "note") sentByMe[frame.id] = true;
  conn.send(frame);
  return frame.id;
}

function handle(ev) {
  switch (ev.type) {
    case "hello": return onHello(ev);
    case "ping": return undefined;  // heartbeat: receiving it is enough
    case "ack": return onReply(ev, true);
    case "error": return ev.reply_to ? onReply(ev, false) : alertText(ev.message || "Er ging iets mis.");
    case "queue": return onQueue(ev);
    case "offer": return onOffer(ev);
    case "conversation": return onConversation(ev);
    case "message":
    case "state": return onRecordEvent(ev);
    case "typing": return onTyping(ev);
    case "released": return onReleased(ev);
    case "offer_expired": delete offers[ev.conversation_id]; return renderOffers();
    case "callbacks_changed": return loadCallbacks();
    case "request_status": return onRequestStatus(ev);
    default: return undefined;
  }
}

function onHello(ev) {
  setConnection("Verbonden");
  if (ev.agent) {
    me = ev.agent;
    $("agent-name").textContent = me.name;
    setPresence(me.status || "offline");
  }
  // Chats the server says are ours, plus the ones this tab had (a reload keeps them).
  var ids = {};
  chatOrder.forEach(function (id) { ids[id] = chats[id].lastSeq; });
  var stored = {};
  try { stored = JSON.parse(sessionStorage.getItem(STORE_KEY) || "{}"); } catch (e) { stored = {}; }
  Object.keys(stored).forEach(function (id) { if (!(id in ids)) ids[id] = 0; });
  (ev.conversations || []).forEach(function (c) {
    var id = typeof c === "string" ? c : c && c.conversation_id;
    if (id && !(id in ids)) ids[id] = 0;
  });
  Object.keys(ids).forEach(function (id) {
    send({ type: "open", conversation_id: id, last_seq: ids[id] }, null, function (err) {
      if (err.code === "not_yours" || err.code === "unknown_conversation") dropChat(id, null);
    });
  });
  // Frames sent while the socket was down (same id: the server stores them once).
  Object.keys(pending).forEach(function (id) {
    var frame = pending[id].frame;
    if (frame.type !== "open") conn.send(frame);
  });
}

function onReply(ev, ok) {
  var p = pending[ev.reply_to];
  if (!p) { if (!ok) alertText(ev.message || "Er ging iets mis."); return; }
  if (!ok && ev.code === "rate_limited") {
    setTimeout(function () { if (pending[ev.reply_to]) conn.send(p.frame); },
      (ev.retry_after || 1) * 1000);
    return;
  }
  delete pending[ev.reply_to];
  if (ok && p.onAck) p.onAck(ev);
  if (!ok) {
    if (p.onError) p.onError(ev);
    else alertText(errorText(ev));
  }
}
