// The active conversation: header, context, form answers and the transcript.
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
    // The link is the resident's key to their request: the console names it, never shows its address.
    if (ev.link) li.appendChild(el("p", "event__extra", "Link voor de inwoner: " + (ev.link.title || "link")));
  } else {
    return;
  }
  li.dataset.seq = String(ev.seq);
  // Keep order even when a late event arrives after a newer one.
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
