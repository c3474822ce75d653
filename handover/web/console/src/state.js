// The console's state: the agent, reference data, the queue snapshot, offers and the open chats.
// sessionStorage keeps id -> last seq per chat, so a reload reopens them where they were.
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
