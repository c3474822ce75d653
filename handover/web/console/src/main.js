// Start: an existing session opens the console, otherwise the login form.
api("GET", "/api/me").then(function (r) {
  if (r.status === 200 && r.data && r.data.id !== undefined) showConsole(r.data);
  else showLogin("");
}, function () { showLogin("Geen verbinding met de server."); });
