/*! Gemeente agent console | EUPL-1.2 | built from handover/web/console/src by widget/build.py */
(function () {
"use strict";
var WHO = { resident: "Inwoner", bot: "Assistent", agent: "Medewerker", system: "Systeem" };
var STATE_TEXT = {
bot: "bij de assistent",
queued: "in de wachtrij",
assigned: "in gesprek",
closed: "afgesloten",
callback_requested: "terugbelverzoek",
abandoned: "verlaten door inwoner"
};
var REASON_TEXT = {
queued: "doorverbonden", transfer: "doorverbonden", closed: "afgesloten", close: "afgesloten",
bot: "terug naar de assistent", hand_back: "terug naar de assistent", abandoned: "de inwoner is weg",
lost: "verbinding verloren"
};
var PRESENCE_TEXT = { online: "Online", pauze: "Pauze", offline: "Offline" };
var REQUEST_STATUS_TEXT = {
open: "Klaar om in te vullen", ingediend: "Ingediend", in_behandeling: "In behandeling",
afgehandeld: "Afgehandeld", ingetrokken: "Ingetrokken"
};
var TAAK_TEXT = { bezig: "wordt klaargezet", gepubliceerd: "staat klaar voor de inwoner",
mislukt: "klaarzetten mislukt, beheer is ingelicht" };
var OUTCOME_TEXT = { opgelost: "opgelost", doorverwezen: "doorverwezen", terugbelverzoek: "terugbelverzoek",
"geen reactie": "geen reactie" };
var CHANNEL_TEXT = { chat: "chat", telefoon: "telefoon", email: "e-mail", balie: "balie", post: "post" };
function errorText(ev) {
var known = {
already_taken: "Een collega heeft deze chat al aangenomen.",
not_yours: "Dit gesprek is niet (meer) van jou.",
unknown_conversation: "Dit gesprek bestaat niet meer.",
capacity_reached: "Je hebt het maximale aantal chats tegelijk.",
conversation_closed: "Dit gesprek is al afgesloten.",
text_too_long: "Het bericht is te lang."
};
return known[ev.code] || ev.message || "Er ging iets mis.";
}
function formatWait(seconds) {
seconds = Math.max(0, Math.floor(seconds));
var m = Math.floor(seconds / 60), s = seconds % 60;
if (m >= 60) return Math.floor(m / 60) + " u " + (m % 60) + " min";
return m ? m + " min " + (s < 10 ? "0" : "") + s + " s" : s + " s";
}
function formatTime(iso) {
if (!iso) return "";
var d = new Date(iso);
if (isNaN(d.getTime())) return "";
return d.toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" });
}
function formatDateTime(iso) {
var d = new Date(iso);
if (isNaN(d.getTime())) return "";
return d.toLocaleString("nl-NL", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}
function formatDate(iso) {
if (!iso) return "";
var d = new Date(iso);
if (isNaN(d.getTime())) return "";
return d.toLocaleDateString("nl-NL", { day: "numeric", month: "long", year: "numeric" });
}
function formValue(value) {
if (value === true) return "ja";
if (value === false) return "nee";
if (value === null || value === undefined || value === "") return "–";
if (typeof value === "object") return JSON.stringify(value);
return String(value);
}
var $ = function (id) { return document.getElementById(id); };
function el(tag, className, text) {
var node = document.createElement(tag);
if (className) node.className = className;
if (text !== undefined && text !== null) node.textContent = String(text);
return node;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function announce(text) {
var region = $("announcer");
var item = el("p", null, text);
region.appendChild(item);
while (region.childNodes.length > 5) region.removeChild(region.firstChild);
}
function alertText(text) {
var region = $("alerter");
clear(region);
region.appendChild(el("p", null, text));
}
function readCookie(name) {
var parts = document.cookie ? document.cookie.split("; ") : [];
for (var i = 0; i < parts.length; i++) {
var eq = parts[i].indexOf("=");
if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
}
return null;
}
function api(method, path, body) {
var headers = { "Accept": "application/json" };
if (body !== undefined) headers["Content-Type"] = "application/json";
if (method !== "GET") headers["X-CSRF-Token"] = csrf || readCookie("csrf") || "";
return fetch(path, {
method: method,
headers: headers,
credentials: "same-origin",
body: body === undefined ? undefined : JSON.stringify(body)
}).then(function (response) {
if (response.status === 204) return { status: 204, data: null };
return response.json().then(
function (data) { return { status: response.status, data: data }; },
function () { return { status: response.status, data: null }; }
);
});
}
var STORE_KEY = "gemeente-console-chats";
var TYPING_IDLE_MS = 3000;
var me = null;            // {id, name, teams, max_chats, status}
var csrf = null;
var teams = {};           // key -> name
var teamOrder = [];
var canned = [];          // [{team, title, text}]
var colleagues = null;    // [{id, name, status, teams?}] from /api/colleagues
var queue = {};           // team -> [{conversation_id, position, waiting_seconds, ...}]
var queueAt = 0;          // performance.now() when the snapshot arrived
var queueIds = {};
var offers = {};          // conversation_id -> {team, expiresAt}
var chats = {};           // conversation_id -> chat (see newChat)
var chatOrder = [];
var activeId = null;
var pending = {};         // frame id -> {frame, onAck, onError}
var focusOnArrival = {};  // conversation ids the agent just accepted: open them when they arrive
var sentByMe = {};        // ids of messages and notes this tab sent (their echo is not news)
var typingState = { id: null, active: false, timer: null };
function teamName(key) { return (key && teams[key]) || key || "onbekend team"; }
function newChat(id) {
return {
id: id, state: null, team: null, topic: null, context: {}, form: {}, handover: {},
events: {}, seqs: [], lastSeq: 0, readSeq: 0, sentReadSeq: 0,
residentTyping: false, draft: "", noteMode: false,
kbOpen: false, kb: null, kbLoading: false, kbError: "", kbStale: false, requestConfirmation: ""
};
}
function saveChats() {
var stored = {};
chatOrder.forEach(function (id) { stored[id] = chats[id].lastSeq; });
sessionStorage.setItem(STORE_KEY, JSON.stringify(stored));
}
function addEvent(chat, ev) {
if (typeof ev.seq !== "number") return false;
var isNew = !chat.events[ev.seq];
chat.events[ev.seq] = ev;
if (isNew) {
chat.seqs.push(ev.seq);
if (chat.seqs.length > 1 && ev.seq < chat.seqs[chat.seqs.length - 2]) chat.seqs.sort(function (a, b) { return a - b; });
}
chat.lastSeq = Math.max(chat.lastSeq, ev.seq);
if (ev.type === "state") {
chat.state = ev.state;
if (ev.team) chat.team = ev.team;
}
return isNew;
}
function unreadCount(chat) {
return chat.seqs.filter(function (seq) {
var ev = chat.events[seq];
return seq > chat.readSeq && ev.type === "message" && ev.author === "resident";
}).length;
}
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
Connection.prototype.drop = function () {
var ws = this.ws;
if (!ws) return;
this.ws = null;
ws.onclose = ws.onmessage = ws.onopen = null;
try { ws.close(); } catch (e) { /* already closed */ }
this.handlers.down();
this.retry();
};
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
function setConnection(text) { $("connection").textContent = text; }
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
function showLogin(message) {
conn.close();
me = null;
$("console-view").hidden = true;
$("header-tools").hidden = true;
$("login-view").hidden = false;
$("login-error").textContent = message || "";
$("username").focus();
}
function showConsole(agent) {
me = agent;
csrf = csrf || readCookie("csrf");
$("login-view").hidden = true;
$("console-view").hidden = false;
$("header-tools").hidden = false;
$("agent-name").textContent = agent.name;
setPresence(agent.status || "offline");
renderChatList();
renderConversation();
loadReferenceData();
loadCallbacks();
conn.connect();
}
function loadReferenceData() {
api("GET", "/api/teams").then(function (r) {
if (r.status !== 200 || !Array.isArray(r.data)) return;
teams = {};
teamOrder = [];
r.data.forEach(function (t) { teams[t.key] = t.name; teamOrder.push(t.key); });
renderQueue();
renderChatList();
renderConversation();
});
loadRequestTypes();
api("GET", "/api/canned-responses").then(function (r) {
if (r.status === 200 && Array.isArray(r.data)) { canned = r.data; renderCanned(); }
});
api("GET", "/api/colleagues").then(function (r) {
colleagues = r.status === 200 && Array.isArray(r.data) ? r.data : null;
}, function () { colleagues = null; });
}
$("login-form").addEventListener("submit", function (e) {
e.preventDefault();
var username = $("username").value.trim(), password = $("password").value;
if (!username || !password) {
$("login-error").textContent = "Vul je gebruikersnaam en wachtwoord in.";
(username ? $("password") : $("username")).focus();
return;
}
$("login-error").textContent = "";
api("POST", "/api/auth/login", { username: username, password: password }).then(function (r) {
if (r.status === 200 && r.data && r.data.agent) {
csrf = r.data.csrf || readCookie("csrf");
$("password").value = "";
showConsole(r.data.agent);
$("accept-next").focus();
} else if (r.status === 401) {
$("login-error").textContent = "Gebruikersnaam of wachtwoord klopt niet.";
$("password").focus();
} else if (r.status === 429) {
$("login-error").textContent = (r.data && r.data.detail) || "Te veel pogingen. Probeer het over een paar minuten opnieuw.";
} else {
$("login-error").textContent = "Inloggen lukt nu niet. Probeer het later opnieuw.";
}
}, function () {
$("login-error").textContent = "Geen verbinding met de server.";
});
});
$("logout").addEventListener("click", function () {
api("POST", "/api/auth/logout").then(function () {
chats = {}; chatOrder = []; activeId = null; offers = {}; queue = {};
sessionStorage.removeItem(STORE_KEY);
showLogin("Je bent uitgelogd.");
});
});
function setPresence(status) {
$("presence").value = status;
$("presence").dataset.current = status;
}
$("presence").addEventListener("change", function () {
var select = this, wanted = select.value, previous = select.dataset.current;
send({ type: "presence", status: wanted }, function () {
setPresence(wanted);
announce("Je status is nu " + PRESENCE_TEXT[wanted] + ".");
}, function (err) {
setPresence(previous);
alertText(errorText(err));
});
});
function onQueue(ev) {
var before = queueIds;
queue = ev.teams || {};
queueAt = performance.now();
queueIds = {};
var added = 0;
Object.keys(queue).forEach(function (team) {
(queue[team] || []).forEach(function (item) {
queueIds[item.conversation_id] = true;
if (!before[item.conversation_id]) added += 1;
});
});
renderQueue();
if (added === 1) announce("Nieuwe chat in de wachtrij.");
else if (added > 1) announce(added + " nieuwe chats in de wachtrij.");
}
function queueEntries() {
var list = [];
var keys = Object.keys(queue).sort(function (a, b) {
var ia = teamOrder.indexOf(a), ib = teamOrder.indexOf(b);
return (ia < 0 ? 999 : ia) - (ib < 0 ? 999 : ib) || (a < b ? -1 : 1);
});
keys.forEach(function (team) { (queue[team] || []).forEach(function (item) { list.push({ team: team, item: item }); }); });
return { keys: keys, list: list };
}
function renderQueue() {
var root = $("queue-teams");
var hadFocus = root.contains(document.activeElement) ? document.activeElement.dataset.conversation : null;
clear(root);
var entries = queueEntries();
var myTeams = (me && me.teams) || [];
var keys = entries.keys.slice();
myTeams.forEach(function (t) { if (keys.indexOf(t) < 0) keys.push(t); });
keys.forEach(function (team) {
var items = (queue[team] || []).slice().sort(function (a, b) { return a.position - b.position; });
var section = el("section", "queue-team");
var headingId = "queue-team-" + team.replace(/[^a-zA-Z0-9_-]/g, "_");
var heading = el("h3", null, teamName(team) + " (" + items.length + ")");
heading.id = headingId;
section.setAttribute("aria-labelledby", headingId);
section.appendChild(heading);
if (!items.length) section.appendChild(el("p", "muted", "Niemand wacht."));
var list = el("ul", "plain-list queue-list");
items.forEach(function (item) {
var li = el("li", "queue-item" + (item.priority ? " queue-item--priority" : ""));
var title = el("span", "queue-item__topic", item.topic || "Onbekend onderwerp");
li.appendChild(title);
var meta = el("span", "queue-item__meta");
var wait = el("span", "wait");
wait.dataset.base = String(item.waiting_seconds || 0);
wait.textContent = "wacht " + formatWait(item.waiting_seconds || 0);
meta.appendChild(wait);
if (item.reason) meta.appendChild(el("span", null, " · " + item.reason));
if (item.priority) meta.appendChild(el("span", "badge", " voorrang"));
li.appendChild(meta);
var button = el("button", "utrecht-button utrecht-button--secondary utrecht-button--small", "Aannemen");
button.type = "button";
button.dataset.conversation = item.conversation_id;
button.setAttribute("aria-label", "Aannemen: " + (item.topic || "onbekend onderwerp") + ", " + teamName(team));
button.addEventListener("click", function () { accept(item.conversation_id); });
li.appendChild(button);
list.appendChild(li);
});
if (items.length) section.appendChild(list);
root.appendChild(section);
});
if (hadFocus) {
var again = root.querySelector('button[data-conversation="' + CSS.escape(hadFocus) + '"]');
(again || $("accept-next")).focus();
}
}
function tickQueue() {
var elapsed = (performance.now() - queueAt) / 1000;
var waits = $("queue-teams").querySelectorAll(".wait");
for (var i = 0; i < waits.length; i++) {
waits[i].textContent = "wacht " + formatWait(Number(waits[i].dataset.base) + elapsed);
}
var now = performance.now(), changed = false;
Object.keys(offers).forEach(function (id) {
var left = Math.ceil((offers[id].expiresAt - now) / 1000);
if (left <= 0) { delete offers[id]; changed = true; return; }
var span = document.querySelector('[data-offer-countdown="' + CSS.escape(id) + '"]');
if (span) span.textContent = "nog " + left + " s";
});
if (changed) renderOffers();
}
setInterval(tickQueue, 1000);
function onOffer(ev) {
offers[ev.conversation_id] = { team: ev.team, expiresAt: performance.now() + (ev.expires_in_seconds || 30) * 1000 };
renderOffers();
alertText("Chat aangeboden van " + teamName(ev.team) + ". Neem aan met Alt+A.");
}
function renderOffers() {
var list = $("offer-list");
var hadFocus = list.contains(document.activeElement);
clear(list);
var ids = Object.keys(offers);
$("offers").hidden = !ids.length;
ids.forEach(function (id) {
var offer = offers[id];
var li = el("li", "offer");
li.appendChild(el("span", null, "Chat voor " + teamName(offer.team) + " "));
var countdown = el("span", "countdown", "nog " + Math.max(0, Math.ceil((offer.expiresAt - performance.now()) / 1000)) + " s");
countdown.dataset.offerCountdown = id;
li.appendChild(countdown);
var button = el("button", "utrecht-button utrecht-button--primary", "Accepteren");
button.type = "button";
button.addEventListener("click", function () { accept(id); });
li.appendChild(button);
list.appendChild(li);
});
if (hadFocus) (list.querySelector("button") || $("accept-next")).focus();
}
function acceptNext() {
var offerIds = Object.keys(offers);
if (offerIds.length) return accept(offerIds[0]);
var list = queueEntries().list;
if (!list.length) { announce("Er wacht niemand."); return; }
list.sort(function (a, b) {
return (b.item.priority ? 1 : 0) - (a.item.priority ? 1 : 0) || (b.item.waiting_seconds || 0) - (a.item.waiting_seconds || 0);
});
accept(list[0].item.conversation_id);
}
function accept(conversationId) {
focusOnArrival[conversationId] = true;
send({ type: "accept", conversation_id: conversationId }, function () {
delete offers[conversationId];
renderOffers();
}, function (err) {
delete focusOnArrival[conversationId];
delete offers[conversationId];
renderOffers();
alertText(errorText(err));
});
}
$("accept-next").addEventListener("click", acceptNext);
function onConversation(ev) {
var id = ev.conversation_id;
var chat = chats[id];
var isNew = !chat;
if (isNew) {
chat = chats[id] = newChat(id);
chatOrder.push(id);
}
chat.state = ev.state || chat.state;
chat.team = ev.team || chat.team;
chat.topic = ev.topic || chat.topic;
chat.context = ev.context || chat.context || {};
chat.form = ev.form || chat.form || {};
chat.handover = ev.handover || chat.handover || {};
if (Array.isArray(ev.transcript)) {
ev.transcript.forEach(function (item) { addEvent(chat, item); });
}
if (isNew) chat.readSeq = chat.sentReadSeq = typeof ev.read_seq === "number" ? ev.read_seq : 0;
if (queueIds[id]) {
delete queueIds[id];
Object.keys(queue).forEach(function (team) {
queue[team] = (queue[team] || []).filter(function (item) { return item.conversation_id !== id; });
});
renderQueue();
}
saveChats();
if (focusOnArrival[id]) {
delete focusOnArrival[id];
announce("Chat aangenomen: " + (chat.topic || "onbekend onderwerp") + ".");
activate(id, true);
} else if (!activeId) {
activate(id, false);
} else {
if (isNew) announce("Nieuw gesprek in je lijst: " + (chat.topic || "onbekend onderwerp") + ".");
renderChatList();
if (activeId === id) renderConversation();
}
}
function onRecordEvent(ev) {
var chat = chats[ev.conversation_id];
if (!chat) return;
if (!addEvent(chat, ev)) return;
saveChats();
var fromOther = ev.type === "message" && !(ev.client_id && sentByMe[ev.client_id]);
if (ev.type === "message" && ev.author === "resident") chat.residentTyping = false;
if (activeId === ev.conversation_id) {
appendTranscriptItem(chat, ev);
renderConversationHeader(chat);
renderTyping(chat);
markRead(chat);
if (fromOther) announce(speakerText(chat, ev) + ": " + ev.text);
} else if (fromOther && ev.author === "resident") {
announce("Nieuw bericht in gesprek " + (chatOrder.indexOf(chat.id) + 1) + " (" + (chat.topic || "onbekend onderwerp") + ").");
}
if (ev.type === "state") announce("Gesprek " + (chat.topic || "") + " is nu " + (STATE_TEXT[ev.state] || ev.state) + ".");
renderChatList();
}
function onTyping(ev) {
var chat = chats[ev.conversation_id];
if (!chat || ev.author !== "resident") return;
chat.residentTyping = !!ev.active;
if (activeId === chat.id) renderTyping(chat);
renderChatList();
}
function onReleased(ev) {
var chat = chats[ev.conversation_id];
if (!chat) return;
var why = REASON_TEXT[ev.reason] || ev.reason || "vrijgegeven";
dropChat(ev.conversation_id, "Gesprek " + (chat.topic || "") + " is niet meer van jou: " + why + ".");
}
function dropChat(id, message) {
if (!chats[id]) return;
var wasActive = activeId === id;
var index = chatOrder.indexOf(id);
delete chats[id];
chatOrder.splice(index, 1);
saveChats();
if (message) announce(message);
if (wasActive) {
stopTyping();
activeId = null;
var next = chatOrder[Math.min(index, chatOrder.length - 1)];
if (next) activate(next, false);
else { renderChatList(); renderConversation(); }
var focusInside = document.activeElement === document.body || $("gesprek").contains(document.activeElement) ||
!document.activeElement || document.activeElement.closest("dialog");
if (focusInside) (next ? $("message") : $("accept-next")).focus();
} else {
renderChatList();
}
}
function activate(id, moveFocus) {
if (!chats[id]) return;
if (activeId && chats[activeId]) {
chats[activeId].draft = $("message").value;
chats[activeId].noteMode = $("note-mode").checked;
}
if (activeId !== id) stopTyping();
activeId = id;
var chat = chats[id];
markRead(chat);
renderChatList();
renderConversation();
$("message").value = chat.draft || "";
$("note-mode").checked = !!chat.noteMode;
renderNoteMode();
if (moveFocus) $("message").focus();
}
function markRead(chat) {
if (document.visibilityState === "hidden" || activeId !== chat.id) return;
chat.readSeq = chat.lastSeq;
if (chat.lastSeq > chat.sentReadSeq) {
chat.sentReadSeq = chat.lastSeq;
send({ type: "read", conversation_id: chat.id, seq: chat.lastSeq }, null, function () { /* not worth a message */ });
}
}
document.addEventListener("visibilitychange", function () {
if (document.visibilityState === "visible" && activeId && chats[activeId]) { markRead(chats[activeId]); renderChatList(); }
});
function renderChatList() {
var list = $("chat-list");
var focusedId = list.contains(document.activeElement) ? document.activeElement.dataset.conversation : null;
clear(list);
$("chats-empty").hidden = chatOrder.length > 0;
chatOrder.forEach(function (id, i) {
var chat = chats[id];
var li = el("li");
var button = el("button", "chat-tab" + (id === activeId ? " chat-tab--active" : ""));
button.type = "button";
button.dataset.conversation = id;
if (id === activeId) button.setAttribute("aria-current", "true");
if (i < 9) button.setAttribute("aria-keyshortcuts", "Alt+" + (i + 1));
var label = el("span", "chat-tab__title", (i + 1) + ". " + (chat.topic || "Onbekend onderwerp"));
button.appendChild(label);
button.appendChild(el("span", "chat-tab__meta", teamName(chat.team) + " · " + (STATE_TEXT[chat.state] || chat.state || "")));
if (chat.residentTyping) button.appendChild(el("span", "chat-tab__typing", "typt…"));
var unread = unreadCount(chat);
if (unread) {
var badge = el("span", "badge badge--unread", String(unread));
badge.setAttribute("aria-label", unread === 1 ? "1 ongelezen bericht" : unread + " ongelezen berichten");
button.appendChild(badge);
}
button.addEventListener("click", function () { activate(id, true); });
li.appendChild(button);
list.appendChild(li);
});
if (focusedId) {
var again = list.querySelector('button[data-conversation="' + CSS.escape(focusedId) + '"]');
if (again) again.focus();
}
}
function renderConversation() {
var chat = activeId && chats[activeId];
$("conversation-empty").hidden = !!chat;
$("conversation-body").hidden = !chat;
if (!chat) {
$("conversation-title").textContent = "Gesprek";
return;
}
renderConversationHeader(chat);
renderContext(chat);
var list = $("transcript");
clear(list);
chat.seqs.forEach(function (seq) { appendTranscriptItem(chat, chat.events[seq], true); });
list.scrollTop = list.scrollHeight;
renderTyping(chat);
renderCanned();
if (chat.kbOpen && chat.kbStale && !chat.kbLoading) loadKlantbeeld(chat, false);
renderKlantbeeld(chat);
renderConfirmation(chat);
}
function renderConversationHeader(chat) {
$("conversation-title").textContent = "Gesprek: " + (chat.topic || "onbekend onderwerp") +
" (" + teamName(chat.team) + ", " + (STATE_TEXT[chat.state] || chat.state || "") + ")";
var mine = chat.state === "assigned";
$("send").disabled = false;
$("transfer-button").disabled = !mine;
$("handback-button").disabled = !mine;
$("close-button").disabled = chat.state === "closed";
$("request-button").disabled = !mine;
$("transcript-link").href = "/api/conversations/" + encodeURIComponent(chat.id) + "/transcript";
}
function addDefinition(dl, term, value) {
if (value === undefined || value === null || value === "") return;
var div = el("div", "context-list__row");
div.appendChild(el("dt", null, term));
div.appendChild(el("dd", null, value));
dl.appendChild(div);
}
function renderContext(chat) {
var dl = $("context-list");
clear(dl);
var ctx = chat.context || {};
addDefinition(dl, "Onderwerp", chat.topic);
addDefinition(dl, "Team", teamName(chat.team));
addDefinition(dl, "Reden doorverbinden", chat.handover && chat.handover.reason);
addDefinition(dl, "Samenvatting assistent", chat.handover && chat.handover.summary);
addDefinition(dl, "Pagina", ctx.page);
addDefinition(dl, "Verwezen door", ctx.referrer);
addDefinition(dl, "Kanaal", ctx.channel);
if (ctx.utm && typeof ctx.utm === "object") {
var parts = Object.keys(ctx.utm).map(function (k) { return k + ": " + ctx.utm[k]; });
addDefinition(dl, "Campagne (utm)", parts.join(", "));
}
var form = $("form-list");
clear(form);
var keys = Object.keys(chat.form || {});
$("form-empty").hidden = keys.length > 0;
keys.forEach(function (k) { addDefinition(form, k.replace(/_/g, " "), formValue(chat.form[k])); });
}
function speakerText(chat, ev) {
if (ev.author === "agent") return ev.author_name || WHO.agent;
return WHO[ev.author] || ev.author;
}
function appendTranscriptItem(chat, ev, bulk) {
var list = $("transcript");
var li;
if (ev.type === "state") {
var text = "Status: " + (STATE_TEXT[ev.state] || ev.state);
if (ev.team) text += " · " + teamName(ev.team);
if (ev.agent_name) text += " · " + ev.agent_name;
if (ev.reason) text += " (" + ev.reason + ")";
li = el("li", "event event--state", text);
} else if (ev.type === "message") {
var kind = ev.private ? "note" : ev.author;
li = el("li", "event event--" + kind);
var head = el("p", "event__head");
var who = ev.private ? "Notitie van " + (ev.author_name || WHO.agent) : speakerText(chat, ev);
head.appendChild(el("span", "event__who", who));
if (ev.author === "bot") head.appendChild(el("span", "badge badge--bot", "bot"));
if (ev.private) head.appendChild(el("span", "badge badge--note", "intern"));
var time = el("time", "event__time", formatTime(ev.at));
if (ev.at) time.setAttribute("datetime", ev.at);
head.appendChild(time);
li.appendChild(head);
var body = el("p", "event__text", ev.text);  // untrusted: text only
li.appendChild(body);
if (ev.payload) li.appendChild(el("p", "event__extra", "Koos knop: " + (ev.title || ev.text || ev.payload)));
if (ev.buttons && ev.buttons.length) {
li.appendChild(el("p", "event__extra", "Knoppen: " + ev.buttons.map(function (b) { return b.title; }).join(" | ")));
}
if (ev.link) li.appendChild(el("p", "event__extra", "Link voor de inwoner: " + (ev.link.title || "link")));
} else {
return;
}
li.dataset.seq = String(ev.seq);
var after = null;
if (!bulk) {
var items = list.children;
for (var i = items.length - 1; i >= 0; i--) {
if (Number(items[i].dataset.seq) < ev.seq) break;
after = items[i];
}
}
list.insertBefore(li, after);
var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
if (!bulk && nearBottom) list.scrollTop = list.scrollHeight;
}
function renderTyping(chat) {
$("resident-typing").textContent = chat.residentTyping ? "Inwoner is aan het typen…" : "";
}
function residentName(chat) {
var f = (chat && chat.form) || {};
var name = f.naam || f.name || f.voornaam || "";
return typeof name === "string" ? name.trim() : "";
}
function fillPlaceholders(text, chat) {
var values = {
naam: residentName(chat),
onderwerp: (chat && chat.topic) || "uw vraag",
medewerker: (me && me.name) || ""
};
var out = text.replace(/\{(naam|onderwerp|medewerker)\}/g, function (_, key) { return values[key]; });
return out.replace(/[ \t]+([,.!?])/g, "$1").replace(/[ \t]{2,}/g, " ").replace(/^[ \t]+/gm, "");
}
function cannedForActive() {
var chat = activeId && chats[activeId];
var team = chat && chat.team;
var own = canned.filter(function (c) { return !c.team || c.team === team; });
if (own.length || !chat) return own;
var seen = {};
return canned.filter(function (c) { var fresh = !seen[c.title]; seen[c.title] = true; return fresh; });
}
function renderCanned() {
var select = $("canned");
clear(select);
var items = cannedForActive();
var first = el("option", null, items.length ? "Kies een standaardantwoord" : "Geen standaardantwoorden");
first.value = "";
select.appendChild(first);
items.forEach(function (c, i) {
var option = el("option", null, c.title);
option.value = String(i);
select.appendChild(option);
});
select.disabled = !items.length;
$("canned-insert").disabled = !items.length;
}
function insertCanned() {
var index = $("canned").value;
var items = cannedForActive();
if (index === "" || !items[Number(index)]) { $("canned").focus(); return; }
var text = fillPlaceholders(items[Number(index)].text, chats[activeId]);
var box = $("message");
var start = box.selectionStart || 0, end = box.selectionEnd || 0;
var value = box.value;
box.value = value.slice(0, start) + text + value.slice(end);
box.focus();
box.selectionStart = box.selectionEnd = start + text.length;
$("canned").value = "";
}
$("canned-insert").addEventListener("click", insertCanned);
$("canned").addEventListener("keydown", function (e) {
if (e.key === "Enter") { e.preventDefault(); insertCanned(); }
});
function renderNoteMode() {
var note = $("note-mode").checked;
$("composer").classList.toggle("composer--note", note);
$("message-label").textContent = note ? "Interne notitie (alleen voor medewerkers)" : "Bericht aan inwoner";
$("send").textContent = note ? "Notitie opslaan" : "Versturen";
if (note) stopTyping();
}
$("note-mode").addEventListener("change", renderNoteMode);
function stopTyping() {
clearTimeout(typingState.timer);
if (typingState.active && typingState.id && chats[typingState.id]) {
send({ type: "typing", conversation_id: typingState.id, active: false });
}
typingState.active = false;
typingState.id = null;
}
$("message").addEventListener("input", function () {
if (!activeId || $("note-mode").checked) return;
if (!this.value) { stopTyping(); return; }
if (!typingState.active || typingState.id !== activeId) {
stopTyping();
typingState.active = true;
typingState.id = activeId;
send({ type: "typing", conversation_id: activeId, active: true });
}
clearTimeout(typingState.timer);
typingState.timer = setTimeout(stopTyping, TYPING_IDLE_MS);
});
$("composer").addEventListener("submit", function (e) {
e.preventDefault();
sendComposer();
});
$("message").addEventListener("keydown", function (e) {
if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendComposer(); }
});
function sendComposer() {
var chat = activeId && chats[activeId];
var box = $("message");
var text = box.value.trim();
$("composer-error").textContent = "";
if (!chat) return;
if (!text) { $("composer-error").textContent = "Typ eerst een bericht."; box.focus(); return; }
var note = $("note-mode").checked;
stopTyping();
send({ type: note ? "note" : "message", conversation_id: chat.id, text: text }, null, function (err) {
if (!box.value) box.value = text;
$("composer-error").textContent = errorText(err);
});
box.value = "";
chat.draft = "";
if (note) { $("note-mode").checked = false; renderNoteMode(); }
box.focus();
}
function openDialog(dialog, onOk) {
var opener = document.activeElement;
dialog.returnValue = "";
dialog.showModal();
dialog.addEventListener("close", function handler() {
dialog.removeEventListener("close", handler);
if (dialog.returnValue === "ok") onOk();
if (opener && document.contains(opener) && !opener.disabled) opener.focus();
else if (activeId) $("message").focus();
});
}
function openTransfer() {
var chat = activeId && chats[activeId];
if (!chat || chat.state !== "assigned") return;
var select = $("transfer-team");
clear(select);
var keys = teamOrder.length ? teamOrder : Object.keys(teams);
keys.forEach(function (key) {
var option = el("option", null, teams[key] + (key === chat.team ? " (huidig team)" : ""));
option.value = key;
select.appendChild(option);
});
var other = keys.filter(function (k) { return k !== chat.team; })[0];
select.value = other || chat.team || "";
fillColleagues();
$("transfer-note").value = "";
openDialog($("transfer-dialog"), function () {
var frame = { type: "transfer", conversation_id: chat.id, team: select.value, note: $("transfer-note").value.trim() };
var agentId = $("transfer-agent").value;
if (agentId) frame.agent_id = agentId;
send(frame, function () { announce("Doorverbonden naar " + teamName(frame.team) + "."); }, function (err) { alertText(errorText(err)); });
});
}
function fillColleagues() {
var field = $("transfer-agent-field"), select = $("transfer-agent");
clear(select);
var team = $("transfer-team").value;
var list = (colleagues || []).filter(function (a) {
return (!me || a.id !== me.id) && (!a.teams || a.teams.indexOf(team) >= 0);
});
field.hidden = !list.length;
var any = el("option", null, "Iedereen van het team");
any.value = "";
select.appendChild(any);
list.forEach(function (a) {
var option = el("option", null, a.name + (a.status ? " (" + (PRESENCE_TEXT[a.status] || a.status) + ")" : ""));
option.value = String(a.id);
select.appendChild(option);
});
}
$("transfer-team").addEventListener("change", fillColleagues);
function openHandBack() {
var chat = activeId && chats[activeId];
if (!chat || chat.state !== "assigned") return;
openDialog($("handback-dialog"), function () {
send({ type: "hand_back", conversation_id: chat.id }, function () { announce("Gesprek teruggezet naar de assistent."); });
});
}
function openClose() {
var chat = activeId && chats[activeId];
if (!chat || chat.state === "closed") return;
$("close-outcome").value = "opgelost";
$("close-summary").value = (chat.handover && chat.handover.summary) || "";
openDialog($("close-dialog"), function () {
send({ type: "close", conversation_id: chat.id, outcome: $("close-outcome").value, summary: $("close-summary").value.trim() },
function () { announce("Gesprek afgesloten."); });
});
}
$("transfer-button").addEventListener("click", openTransfer);
$("handback-button").addEventListener("click", openHandBack);
$("close-button").addEventListener("click", openClose);
function loadKlantbeeld(chat, moveFocus) {
chat.kbLoading = true;
chat.kbError = "";
chat.kbStale = false;
if (activeId === chat.id) renderKlantbeeld(chat);
api("GET", "/api/conversations/" + encodeURIComponent(chat.id) + "/klantbeeld").then(function (r) {
chat.kbLoading = false;
if (r.status === 401) { showLogin("Je sessie is verlopen. Log opnieuw in."); return; }
if (r.status === 200 && r.data) chat.kb = r.data;
else chat.kbError = r.status === 404 ? "Dit gesprek is niet (meer) van jou." : "Het klantbeeld laden lukt nu niet.";
if (activeId === chat.id) {
renderKlantbeeld(chat);
if (chat.kbError) alertText(chat.kbError);
else announce("Klantbeeld geladen.");
if (moveFocus) $("klantbeeld").focus();
}
}, function () {
chat.kbLoading = false;
chat.kbError = "Geen verbinding met de server.";
if (activeId === chat.id) { renderKlantbeeld(chat); alertText(chat.kbError); }
});
}
function toggleKlantbeeld(fromKeyboard) {
var chat = activeId && chats[activeId];
if (!chat) return;
chat.kbOpen = !chat.kbOpen;
renderKlantbeeld(chat);
if (chat.kbOpen) {
loadKlantbeeld(chat, false);
$("klantbeeld").focus();
} else {
announce("Klantbeeld gesloten.");
(fromKeyboard ? $("message") : $("klantbeeld-button")).focus();
}
}
function kbItem(list, title, lines) {
var li = el("li");
var head = el("p", "kb-item__title");
head.appendChild(document.createTextNode(title.text));
if (title.status) head.appendChild(el("span", "kb-status", title.status));
li.appendChild(head);
lines.forEach(function (line) {
if (line && line.text) li.appendChild(el("p", line.className || "muted", line.text));
});
list.appendChild(li);
}
function renderKlantbeeld(chat) {
var panel = $("klantbeeld"), button = $("klantbeeld-button");
var open = !!(chat && chat.kbOpen);
panel.hidden = !open;
button.setAttribute("aria-expanded", open ? "true" : "false");
button.textContent = open ? "Klantbeeld sluiten" : "Klantbeeld";
if (!open) return;
var data = chat.kb;
$("klantbeeld-status").textContent = chat.kbLoading ? "Klantbeeld laden…" : (chat.kbError || "");
$("klantbeeld-status").className = chat.kbError ? "form-error" : "muted";
$("klantbeeld-body").hidden = !data;
if (!data) return;
var partij = data.partij;
$("klantbeeld-identity").textContent = data.identified && partij
? "Ingelogd: " + (partij.name || "naam onbekend") + (partij.identifier ? " (" + partij.identifier + ")" : "")
: "Onbekende inwoner: nog niet ingelogd";
var dl = $("klantbeeld-partij");
clear(dl);
if (partij) {
addDefinition(dl, "E-mail", partij.email);
addDefinition(dl, "Telefoon", partij.phone);
addDefinition(dl, "Voorkeurstaal", partij.preferred_language);
addDefinition(dl, "Voorkeurskanaal", partij.preferred_channel && (CHANNEL_TEXT[partij.preferred_channel] || partij.preferred_channel));
}
var contacts = Array.isArray(data.contacts) ? data.contacts : [];
var list = $("kb-contacts");
clear(list);
$("kb-contacts-empty").hidden = contacts.length > 0;
var others = data.other_channels || {};
$("kb-contacts-note").hidden = !others.note;
$("kb-contacts-note").textContent = others.note || "";
contacts.forEach(function (c) {
var meta = [formatDate(c.closed_at), c.kanaal && (CHANNEL_TEXT[c.kanaal] || c.kanaal),
c.source === "openklant" && "uit Open Klant", c.agent,
c.outcome && "uitkomst: " + (OUTCOME_TEXT[c.outcome] || c.outcome)].filter(Boolean).join(" · ");
kbItem(list, { text: c.onderwerp || "Contact" }, [
{ text: meta }, { text: c.summary, className: "kb-item__text" }
]);
});
var requests = Array.isArray(data.requests) ? data.requests : [];
list = $("kb-requests");
clear(list);
$("kb-requests-empty").hidden = requests.length > 0;
requests.forEach(function (q) {
var status = q.status_text || REQUEST_STATUS_TEXT[q.status] || q.status;
var meta = ["klaargezet " + formatDate(q.created_at),
q.submitted_at ? "ingediend " + formatDate(q.submitted_at) : (q.status === "open" && q.expires_at ? "verloopt " + formatDate(q.expires_at) : "")
].filter(Boolean).join(" · ");
var details = [{ text: meta }];
if (q.taak && TAAK_TEXT[q.taak.state]) details.push({ text: "Portaal: " + TAAK_TEXT[q.taak.state] });
kbItem(list, { text: q.title || q.type || "Aanvraag", status: status }, details);
});
var callbacks = Array.isArray(data.callbacks) ? data.callbacks : [];
list = $("kb-callbacks");
clear(list);
$("kb-callbacks-empty").hidden = callbacks.length > 0;
callbacks.forEach(function (cb) {
kbItem(list, { text: cb.message || "Terugbelverzoek", status: cb.status }, []);
});
}
$("klantbeeld-button").addEventListener("click", function () { toggleKlantbeeld(false); });
$("klantbeeld-refresh").addEventListener("click", function () {
var chat = activeId && chats[activeId];
if (chat) loadKlantbeeld(chat, false);
});
function onRequestStatus(ev) {
var chat = chats[ev.conversation_id];
var status = REQUEST_STATUS_TEXT[ev.status] || ev.status || "gewijzigd";
var text = "Aanvraag " + (ev.request_id ? "#" + ev.request_id + " " : "") + "is nu: " + status.toLowerCase();
if (chat) text += " (gesprek " + (chatOrder.indexOf(chat.id) + 1) + ": " + (chat.topic || "onbekend onderwerp") + ")";
text += ".";
$("notice").textContent = text;
$("notice").hidden = false;
announce(text);
if (chat && chat.kbOpen) {
if (activeId === chat.id) loadKlantbeeld(chat, false);
else chat.kbStale = true;
}
}
var requestDialog = { chat: null, opener: null, fieldCounter: 0, titleTouched: false, busy: false };
var requestTypes = null;  // [{key, title, team}] from /api/request-types
function loadRequestTypes() {
return api("GET", "/api/request-types").then(function (r) {
if (r.status === 200 && Array.isArray(r.data)) requestTypes = r.data;
return requestTypes;
}, function () { return requestTypes; });
}
function inputValue(value) {
if (value === true) return "ja";
if (value === false) return "nee";
if (value === null || value === undefined) return "";
if (typeof value === "object") return JSON.stringify(value);
return String(value);
}
function fieldKey(name) {
return name.trim().toLowerCase().replace(/\s+/g, "_").slice(0, 80);
}
function requestTypeTitle(key) {
var found = (requestTypes || []).filter(function (t) { return t.key === key; })[0];
return found ? found.title : "";
}
function addRequestField(key, value, hasOriginal) {
requestDialog.fieldCounter += 1;
var id = "request-field-" + requestDialog.fieldCounter;
var label = key.replace(/_/g, " ");
var li = el("li", "request-field");
li.dataset.key = key;
var field = el("div", "field");
var lab = el("label", null, label);
lab.htmlFor = id;
var input = el("input", "utrecht-textbox");
input.id = id;
input.maxLength = 2000;
input.value = inputValue(value);
if (hasOriginal) { input.dataset.original = JSON.stringify(value); input.dataset.shown = input.value; }
field.appendChild(lab);
field.appendChild(input);
li.appendChild(field);
var remove = el("button", "utrecht-button utrecht-button--secondary utrecht-button--small", "Verwijderen");
remove.type = "button";
remove.setAttribute("aria-label", "Veld " + label + " verwijderen");
remove.addEventListener("click", function () {
var next = li.nextElementSibling || li.previousElementSibling;
li.parentNode.removeChild(li);
$("request-fields-empty").hidden = $("request-fields").children.length > 0;
announce("Veld " + label + " verwijderd.");
(next ? next.querySelector("input") : $("request-new-field")).focus();
});
li.appendChild(remove);
$("request-fields").appendChild(li);
$("request-fields-empty").hidden = true;
return input;
}
function fillRequestTypes(chat) {
var select = $("request-type");
clear(select);
var first = el("option", null, "Kies een soort aanvraag");
first.value = "";
select.appendChild(first);
(requestTypes || []).forEach(function (t) {
var option = el("option", null, t.title);
option.value = t.key;
select.appendChild(option);
});
var topic = chat.topic && (requestTypes || []).some(function (t) { return t.key === chat.topic; }) ? chat.topic : "";
select.value = topic;
}
function openRequest() {
var chat = activeId && chats[activeId];
var dialog = $("request-dialog");
if (!chat || chat.state !== "assigned" || dialog.open) return;
requestDialog.chat = chat;
requestDialog.opener = document.activeElement;
requestDialog.titleTouched = false;
$("request-error").textContent = "";
$("request-new-field").value = "";
clear($("request-fields"));
var form = chat.form || {};
Object.keys(form).forEach(function (key) { addRequestField(key, form[key], true); });
$("request-fields-empty").hidden = Object.keys(form).length > 0;
var show = function () {
fillRequestTypes(chat);
$("request-title").value = requestTypeTitle($("request-type").value);
dialog.showModal();
$("request-type").focus();
};
if (requestTypes && requestTypes.length) show();
else loadRequestTypes().then(function () {
if (activeId !== chat.id) return;
if (!requestTypes || !requestTypes.length) { alertText("De soorten aanvragen zijn nu niet te laden."); return; }
show();
});
}
function closeRequest() {
var dialog = $("request-dialog");
if (dialog.open) dialog.close();
}
$("request-dialog").addEventListener("close", function () {
var opener = requestDialog.opener;
requestDialog.opener = null;
requestDialog.busy = false;
$("request-publish").disabled = false;
if (opener && document.contains(opener) && !opener.disabled && opener.offsetParent !== null) opener.focus();
else if (activeId) $("message").focus();
});
$("request-cancel").addEventListener("click", closeRequest);
$("request-type").addEventListener("change", function () {
if (!requestDialog.titleTouched) $("request-title").value = requestTypeTitle(this.value);
});
$("request-title").addEventListener("input", function () { requestDialog.titleTouched = true; });
function requestError(text, focus) {
var box = $("request-error");
box.textContent = "";
box.appendChild(document.createTextNode(text));
if (focus) focus.focus();
}
function addFieldFromInput() {
var nameInput = $("request-new-field");
var key = fieldKey(nameInput.value);
if (!key) { requestError("Geef het nieuwe veld een naam.", nameInput); return; }
var exists = Array.prototype.some.call($("request-fields").children, function (li) { return li.dataset.key === key; });
if (exists) { requestError("Er is al een veld \u201c" + key.replace(/_/g, " ") + "\u201d.", nameInput); return; }
$("request-error").textContent = "";
nameInput.value = "";
addRequestField(key, "", false).focus();
announce("Veld " + key.replace(/_/g, " ") + " toegevoegd.");
}
$("request-add-field").addEventListener("click", addFieldFromInput);
$("request-new-field").addEventListener("keydown", function (e) {
if (e.key === "Enter") { e.preventDefault(); addFieldFromInput(); }
});
function requestData() {
var data = {};
Array.prototype.forEach.call($("request-fields").children, function (li) {
var input = li.querySelector("input");
var value = input.value.trim();
if (input.dataset.original !== undefined && input.value === input.dataset.shown) {
data[li.dataset.key] = JSON.parse(input.dataset.original);
} else {
data[li.dataset.key] = value;
}
});
return data;
}
$("request-form").addEventListener("submit", function (e) {
e.preventDefault();
var chat = requestDialog.chat;
if (!chat || requestDialog.busy) return;
var type = $("request-type").value;
if (!type) { requestError("Kies een soort aanvraag.", $("request-type")); return; }
var title = $("request-title").value.trim() || requestTypeTitle(type);
var body = { type: type, title: title, data: requestData() };
requestDialog.busy = true;
$("request-publish").disabled = true;
$("request-error").textContent = "";
api("POST", "/api/conversations/" + encodeURIComponent(chat.id) + "/concept-requests", body).then(function (r) {
requestDialog.busy = false;
$("request-publish").disabled = false;
if (r.status === 201) {
var done = "Aanvraag \u201c" + title + "\u201d is klaargezet. De inwoner krijgt een link naar MijnGemeente in de chat.";
chat.requestConfirmation = done;
closeRequest();
if (activeId === chat.id) renderConfirmation(chat);
announce(done);
if (chat.kbOpen && activeId === chat.id) loadKlantbeeld(chat, false);
return;
}
if (r.status === 401) { closeRequest(); showLogin("Je sessie is verlopen. Log opnieuw in."); return; }
var text = r.status === 404 ? "Dit gesprek is niet (meer) van jou. De aanvraag is niet klaargezet."
: r.status === 422 ? "Deze aanvraag klopt niet (onbekende soort of te veel gegevens). Controleer de velden."
: r.status === 403 ? "De beveiligingscode klopt niet. Laad de pagina opnieuw."
: "Klaarzetten lukt nu niet. Probeer het opnieuw.";
requestError(text, $("request-publish"));
}, function () {
requestDialog.busy = false;
$("request-publish").disabled = false;
requestError("Geen verbinding met de server. Probeer het opnieuw.", $("request-publish"));
});
});
function renderConfirmation(chat) {
var p = $("request-confirmation");
p.textContent = (chat && chat.requestConfirmation) || "";
p.hidden = !p.textContent;
}
$("request-button").addEventListener("click", openRequest);
function loadCallbacks() {
api("GET", "/api/callbacks").then(function (r) {
if (r.status === 401) { showLogin("Je sessie is verlopen. Log opnieuw in."); return; }
if (r.status !== 200 || !Array.isArray(r.data)) return;
var list = $("callback-list");
clear(list);
$("callbacks-empty").hidden = r.data.length > 0;
r.data.forEach(function (cb) {
var li = el("li", "callback");
li.appendChild(el("p", "callback__name", (cb.name || "Naam onbekend") + " · " + teamName(cb.team)));
if (cb.phone) li.appendChild(el("p", null, "Telefoon: " + cb.phone));
if (cb.email) li.appendChild(el("p", null, "E-mail: " + cb.email));
if (cb.message) li.appendChild(el("p", "callback__message", cb.message));
li.appendChild(el("p", "muted", (cb.status || "") + (cb.created_at ? " · " + formatDateTime(cb.created_at) : "")));
list.appendChild(li);
});
});
}
$("callbacks-refresh").addEventListener("click", function () { loadCallbacks(); announce("Terugbelverzoeken vernieuwd."); });
setInterval(function () { if (me && !document.hidden) loadCallbacks(); }, 60000);
function openHelp() {
var dialog = $("help-dialog");
if (dialog.open) return;
var opener = document.activeElement;
dialog.showModal();
dialog.addEventListener("close", function handler() {
dialog.removeEventListener("close", handler);
if (opener && document.contains(opener)) opener.focus();
});
}
$("help-button").addEventListener("click", openHelp);
function isTextField(node) {
if (!node) return false;
var tag = node.tagName;
return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && !/^(checkbox|radio|button|submit)$/.test(node.type)) || node.isContentEditable;
}
document.addEventListener("keydown", function (e) {
if (!me || $("console-view").hidden) return;
if (document.querySelector("dialog[open]")) return;
if (e.altKey && !e.ctrlKey && !e.metaKey) {
var digit = /^Digit([1-9])$/.exec(e.code);
if (digit) {
var id = chatOrder[Number(digit[1]) - 1];
e.preventDefault();
if (id) activate(id, true);
return;
}
var action = {
KeyA: acceptNext,
KeyM: function () { if (activeId) $("message").focus(); },
KeyN: function () {
if (!activeId) return;
$("note-mode").checked = !$("note-mode").checked;
renderNoteMode();
$("message").focus();
announce($("note-mode").checked ? "Interne notitie aan." : "Interne notitie uit.");
},
KeyR: function () { if (activeId && !$("canned").disabled) $("canned").focus(); },
KeyT: openTransfer,
KeyB: openHandBack,
KeyC: openClose,
KeyK: function () { toggleKlantbeeld(true); },
KeyQ: openRequest,
KeyP: function () { $("presence").focus(); }
}[e.code];
if (action) { e.preventDefault(); action(); }
return;
}
if (e.key === "?" && !e.ctrlKey && !e.altKey && !e.metaKey && !isTextField(e.target)) {
e.preventDefault();
openHelp();
}
});
api("GET", "/api/me").then(function (r) {
if (r.status === 200 && r.data && r.data.id !== undefined) showConsole(r.data);
else showLogin("");
}, function () { showLogin("Geen verbinding met de server."); });
})();
