// Call-back requests of the agent's teams (reloaded on callbacks_changed and every minute).
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
