// Login, logout, the two views (login, console), reference data and the agent's presence.
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
  // Optional: a colleague list for transfers. Without it, transfers go to a team queue.
  api("GET", "/api/colleagues").then(function (r) {
    colleagues = r.status === 200 && Array.isArray(r.data) ? r.data : null;
  }, function () { colleagues = null; });
}

// --- login / logout ------------------------------------------------------------------------
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
      // The server says how long (Retry-After); its Dutch text names it in seconds or minutes.
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

// --- presence ------------------------------------------------------------------------------
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
