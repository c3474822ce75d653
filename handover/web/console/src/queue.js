// The team queues and personal offers: rendering, the wait counters, accepting.
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
  // Longest waiting first, priority before that.
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
