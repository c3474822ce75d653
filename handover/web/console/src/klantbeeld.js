// The klantbeeld panel (partij, earlier contacts, requests, call-backs) and request status news.
// Every GET of the klantbeeld is written to the audit log, so it is loaded only when the agent
// opens the panel (or presses "vernieuwen", or a request of this chat changes), never on render.
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
  // Contacts of other channels come from Open Klant; when it does not answer, say so.
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
    // Where the request stands as a taak in the residents' portal (Objects API), when it is one.
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
