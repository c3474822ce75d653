// DOM helpers and the JSON API client. Every text that comes from a resident, the bot or a
// colleague is untrusted: it only ever reaches the page through textContent (el), never as HTML.
var $ = function (id) { return document.getElementById(id); };
function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function announce(text) {
  // Re-adding a fresh node makes screen readers read it even when the same text repeats.
  var region = $("announcer");
  var item = el("p", null, text);
  region.appendChild(item);
  while (region.childNodes.length > 5) region.removeChild(region.firstChild);
}
function alertText(text) {
  var region = $("alerter");
  clear(region);
  region.appendChild(el("p", null, text));
}
function readCookie(name) {
  var parts = document.cookie ? document.cookie.split("; ") : [];
  for (var i = 0; i < parts.length; i++) {
    var eq = parts[i].indexOf("=");
    if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
  }
  return null;
}

// --- HTTP ----------------------------------------------------------------------------------
function api(method, path, body) {
  var headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf || readCookie("csrf") || "";
  return fetch(path, {
    method: method,
    headers: headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body)
  }).then(function (response) {
    if (response.status === 204) return { status: 204, data: null };
    return response.json().then(
      function (data) { return { status: response.status, data: data }; },
      function () { return { status: response.status, data: null }; }
    );
  });
}
