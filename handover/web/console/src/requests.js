// Concept requests (forms): the agent prepares a request the resident completes in MijnGemeente.
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
  // Unchanged answers keep their type (true stays true); edited ones are what the agent typed.
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
  // A fresh text node in the alert region, so the same error twice is read twice.
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
