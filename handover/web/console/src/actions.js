// Transfer, hand back and close, each confirmed in a dialog.
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
