// The agent's chats: arrival, new events, release, switching, read marks and the chat list.
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
  // After `open` with last_seq the transcript holds only what we missed: merge by seq.
  if (Array.isArray(ev.transcript)) {
    ev.transcript.forEach(function (item) { addEvent(chat, item); });
  }
  if (isNew) chat.readSeq = chat.sentReadSeq = typeof ev.read_seq === "number" ? ev.read_seq : 0;
  // Ours now: do not show it in the queue until the next snapshot says otherwise.
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

// --- rendering: chat list ------------------------------------------------------------------
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
