// Writing: canned responses with placeholders, the message box, typing and internal notes.
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
  // An empty name must not leave "Hallo ," or double spaces behind.
  return out.replace(/[ \t]+([,.!?])/g, "$1").replace(/[ \t]{2,}/g, " ").replace(/^[ \t]+/gm, "");
}

function cannedForActive() {
  var chat = activeId && chats[activeId];
  var team = chat && chat.team;
  var own = canned.filter(function (c) { return !c.team || c.team === team; });
  if (own.length || !chat) return own;
  // A chat of a team that is not ours (offered to us personally): offer our texts, once each.
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

// --- composer, typing, notes ---------------------------------------------------------------
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
