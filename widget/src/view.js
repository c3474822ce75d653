// Building the DOM. Untrusted text only ever goes in through textContent (h() and richText());
// this file has no innerHTML on purpose, and a test keeps it that way.
function h(tag, attrs, children) {
  var el = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (key) {
    var value = attrs[key];
    if (value === null || value === undefined || value === false) return;
    if (key === "text") el.textContent = value;
    else if (key === "class") el.className = value;
    else if (key.indexOf("on") === 0) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  });
  (children || []).forEach(function (child) {
    if (child) el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return el;
}

// Only http(s) becomes a link; anything else (javascript:, data:, …) stays plain text.
function safeUrl(url, base) {
  try {
    var parsed = new URL(url, base || location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (e) { return null; }
}

function richText(text) {
  var fragment = document.createDocumentFragment();
  var pattern = /https?:\/\/[^\s<>"']+/gi, last = 0, match;
  text = String(text == null ? "" : text);
  while ((match = pattern.exec(text))) {
    var url = match[0].replace(/[.,;:!?)\]]+$/, "");
    var href = safeUrl(url);
    fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
    fragment.appendChild(href ? h("a", { href: href, text: url }) : document.createTextNode(url));
    last = match.index + url.length;
    pattern.lastIndex = last;
  }
  fragment.appendChild(document.createTextNode(text.slice(last)));
  return fragment;
}

function clock(iso) {
  var date = iso ? new Date(iso) : new Date();
  if (isNaN(date.getTime())) return "";
  return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
}

function View(root, t, cfg, actions) {
  this.t = t;
  this.server = cfg.server + "/";
  var self = this;
  this.launcher = h("button", { class: "gc-launcher", type: "button", "aria-expanded": "false", "aria-controls": "gc-panel",
    onclick: function () { actions.open(true); } }, [h("span", { class: "gc-launcher-icon", "aria-hidden": "true" }), t("launcher")]);
  this.who = h("p", { class: "gc-who", text: t("withBot") });
  this.offline = h("p", { class: "gc-offline", hidden: true, text: t("offline") });
  this.log = h("ol", { class: "gc-log" });
  this.typing = h("p", { class: "gc-typing", hidden: true });
  this.queueText = h("span");
  this.queue = h("div", { class: "gc-queue", hidden: true }, [this.queueText, " ",
    h("button", { type: "button", class: "gc-button gc-secondary", text: t("cancelQueue"), onclick: function () { actions.cancelQueue(); } })]);
  this.live = h("div", { class: "gc-sr", "aria-live": "polite", "aria-relevant": "additions" });
  this.input = h("textarea", { id: "gc-input", rows: "2", maxlength: "4096", placeholder: t("placeholder"), autocomplete: "off",
    onkeydown: function (e) { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.submit(); } },
    oninput: function () { actions.typing(); } });
  this.submit = function () {
    var text = self.input.value.trim();
    if (!text || self.input.disabled) return;
    self.input.value = "";
    actions.say(text);
  };
  this.sendButton = h("button", { type: "submit", class: "gc-button gc-primary", text: t("send") });
  this.humanButton = h("button", { type: "button", class: "gc-button gc-secondary", text: t("human"), onclick: function () { actions.human(); } });
  this.form = h("form", { class: "gc-form", onsubmit: function (e) { e.preventDefault(); self.submit(); } }, [
    h("label", { for: "gc-input", class: "gc-sr", text: t("inputLabel") }), this.input,
    h("div", { class: "gc-actions" }, [this.sendButton, this.humanButton])
  ]);
  this.newChat = h("button", { type: "button", class: "gc-button gc-primary gc-newchat", hidden: true, text: t("newChat"), onclick: function () { actions.restart(); } });
  this.feedback = this.buildFeedback(actions);
  this.callback = this.buildCallback(actions);
  this.scroller = h("div", { class: "gc-scroll", tabindex: "0", role: "region", "aria-label": t("messages") }, [
    h("p", { class: "gc-privacy" }, [t("privacy"), h("a", { href: safeUrl(cfg.privacyUrl) || "/privacy", text: t("privacyLink") })]),
    h("p", { class: "gc-msg gc-bot gc-welcome" }, [h("span", { class: "gc-bubble", text: t("welcome") })]),
    this.log, this.callback, this.feedback
  ]);
  this.panel = h("div", { class: "gc-panel", id: "gc-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "gc-title", hidden: true,
    onkeydown: function (e) { if (e.key === "Escape") { e.preventDefault(); actions.open(false); } } }, [
    h("header", { class: "gc-header" }, [
      h("div", { class: "gc-heading" }, [h("h2", { id: "gc-title", text: t("title") }), this.who]),
      h("div", { class: "gc-tools" }, [
        h("button", { type: "button", class: "gc-button gc-tool", text: t("save"), onclick: function () { actions.download(); } }),
        h("button", { type: "button", class: "gc-button gc-tool gc-close", text: t("close"), onclick: function () { actions.open(false); } })
      ])
    ]),
    h("div", { role: "status" }, [this.offline]),
    this.scroller, this.typing, this.queue, this.form, this.newChat, this.live
  ]);
  root.appendChild(h("aside", { class: "gc", "aria-label": "Chat", lang: cfg.lang }, [this.launcher, this.panel]));
}

View.prototype.buildFeedback = function (actions) {
  var t = this.t, self = this;
  var options = t("scores").map(function (label, i) {
    return h("label", { class: "gc-score" }, [h("input", { type: "radio", name: "gc-score", value: String(i + 1), required: true }), h("span", { text: label })]);
  });
  this.comment = h("textarea", { id: "gc-comment", rows: "2", maxlength: "1000" });
  this.thanks = h("p", { class: "gc-thanks", tabindex: "-1", hidden: true, text: t("feedbackThanks") });
  this.feedbackForm = h("form", { class: "gc-feedback-form", onsubmit: function (e) {
    e.preventDefault();
    var chosen = self.feedbackForm.querySelector("input:checked");
    if (!chosen) return;
    actions.feedback(Number(chosen.value), self.comment.value.trim());
  } }, [
    h("fieldset", {}, [h("legend", { text: t("feedbackQuestion") }), h("div", { class: "gc-scores" }, options)]),
    h("label", { for: "gc-comment", text: t("feedbackComment") }), this.comment,
    h("button", { type: "submit", class: "gc-button gc-primary", text: t("feedbackSend") })
  ]);
  return h("div", { class: "gc-feedback", hidden: true }, [this.feedbackForm, this.thanks]);
};

// The call-back form, offered when no agent can take the chat. Each field's error is a <p>
// referenced by aria-describedby; errors are also announced, and focus goes to the first one.
View.prototype.buildCallback = function (actions) {
  var t = this.t, self = this;
  function field(key, tag, attrs) {
    var id = "gc-cb-" + key;
    var input = h(tag, Object.assign({ id: id, name: key, "aria-describedby": attrs.hint ? "gc-cb-hint" : null }, attrs.a));
    var error = h("p", { id: id + "-error", class: "gc-error", hidden: true });
    self["cb_" + key] = input;
    self["cbErr_" + key] = error;
    return h("div", { class: attrs.box ? "gc-check" : "gc-field" }, attrs.box
      ? [input, h("label", { for: id, text: t("cbConsent") }), error]
      : [h("label", { for: id, text: t("cb_" + key) }), attrs.hint === 1 ? h("p", { id: "gc-cb-hint", class: "gc-hint", text: t("cbContactHint") }) : null, input, error]);
  }
  this.cbIntro = h("p", { id: "gc-cb-intro" });
  this.cbSubmit = h("button", { type: "submit", class: "gc-button gc-primary", text: t("cbSend") });
  this.cbForm = h("form", { class: "gc-callback-form", novalidate: true, "aria-labelledby": "gc-cb-title", "aria-describedby": "gc-cb-intro",
    onsubmit: function (e) { e.preventDefault(); self.sendCallback(actions); } }, [
    h("h3", { id: "gc-cb-title", text: t("cbTitle") }), this.cbIntro,
    field("name", "input", { a: { type: "text", autocomplete: "name", maxlength: "120" } }),
    field("phone", "input", { hint: 1, a: { type: "tel", autocomplete: "tel", maxlength: "40" } }),
    field("email", "input", { hint: 2, a: { type: "email", autocomplete: "email", maxlength: "254" } }),
    field("message", "textarea", { a: { rows: "3", maxlength: "2000" } }),
    field("consent", "input", { box: true, a: { type: "checkbox", "aria-required": "true" } }),
    this.cbErr_form = h("p", { class: "gc-error", role: "alert", hidden: true }),
    this.cbSubmit
  ]);
  this.cbDone = h("p", { class: "gc-thanks", tabindex: "-1", hidden: true, text: t("cbDone") });
  return h("div", { class: "gc-callback", hidden: true }, [this.cbForm, this.cbDone]);
};

View.prototype.sendCallback = function (actions) {
  var self = this, t = this.t, errors = [];
  var v = function (key) { return self["cb_" + key].value.trim(); };
  var phone = v("phone"), email = v("email");
  function check(key, bad, text) {
    var input = self["cb_" + key], error = self["cbErr_" + key];
    var hint = input.getAttribute("aria-describedby") || "";
    hint = hint.split(" ").filter(function (id) { return id && id !== error.id; });
    error.hidden = !bad;
    error.textContent = bad ? text : "";
    if (bad) { hint.push(error.id); errors.push(input); input.setAttribute("aria-invalid", "true"); self.announce(text); }
    else input.removeAttribute("aria-invalid");
    if (hint.length) input.setAttribute("aria-describedby", hint.join(" ")); else input.removeAttribute("aria-describedby");
  }
  var digits = phone.replace(/\D/g, "").length;
  check("phone", !phone && !email ? true : phone && (!/^[+()\d\s.-]+$/.test(phone) || digits < 9 || digits > 15),
    !phone && !email ? t("cbNeedContact") : t("cbBadPhone"));
  check("email", email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email), t("cbBadEmail"));
  check("consent", !this.cb_consent.checked, t("cbNeedConsent"));
  this.cbErr_form.hidden = true;
  if (errors.length) { errors[0].focus(); return; }
  var frame = { consent: true };
  ["name", "message"].forEach(function (key) { if (v(key)) frame[key] = v(key); });
  if (phone) frame.phone = phone;
  if (email) frame.email = email;
  this.cbSubmit.disabled = true;
  this.cbSubmit.textContent = t("sending");
  actions.callback(frame);
};

View.prototype.callbackFailed = function (text) {
  this.cbSubmit.disabled = false;
  this.cbSubmit.textContent = this.t("cbSend");
  this.cbErr_form.textContent = text;
  this.cbErr_form.hidden = false;
};

View.prototype.setOpen = function (open, focus) {
  this.panel.hidden = !open;
  this.launcher.hidden = open;
  this.launcher.setAttribute("aria-expanded", String(open));
  if (!focus) return;
  if (open) { this.scrollDown(); (this.input.disabled ? this.panel.querySelector("button") : this.input).focus(); }
  else this.launcher.focus();
};

View.prototype.scrollDown = function () { this.scroller.scrollTop = this.scroller.scrollHeight; };

View.prototype.label = function (ev) {
  var t = this.t;
  if (ev.author === "resident") return t("you");
  if (ev.author === "agent") return ev.author_name ? ev.author_name + " (" + t("agent").toLowerCase() + ")" : t("agent");
  return ev.author_name || t(ev.author === "bot" ? "bot" : "system");
};

View.prototype.stateText = function (ev) {
  var t = this.t;
  switch (ev.state) {
    case "queued": return ev.team_name ? t("queuedTeam", { team: ev.team_name }) : t("queued");
    case "assigned": return ev.agent_name ? t("assigned", { name: ev.agent_name }) : t("assignedNoName");
    case "bot": return t("backToBot");
    case "closed": return t("closed");
    case "callback_requested": return t("callback");
    case "abandoned": return t("abandoned");
    default: return null;
  }
};

// One record event (message or state) as a list item; `live` announces it to screen readers.
View.prototype.render = function (ev, live, press) {
  var item;
  if (ev.type === "state") {
    var text = this.stateText(ev);
    if (!text || (ev.state === "bot" && ev.seq <= 1)) return;
    item = h("li", { class: "gc-notice", "data-seq": ev.seq, text: text });
    if (live) this.announce(text);
  } else {
    item = this.message(ev, press);
    if (live && ev.author !== "resident") this.announce(this.label(ev) + ": " + (ev.text || (ev.link && ev.link.title) || ""));
  }
  var pending = this.log.querySelector(".gc-pending");
  this.log.insertBefore(item, pending);  // sent-but-unconfirmed messages stay last
  this.scrollDown();
};

View.prototype.message = function (ev, press) {
  var author = ["resident", "bot", "agent", "system"].indexOf(ev.author) >= 0 ? ev.author : "system";
  var item = h("li", { class: "gc-msg gc-" + author, "data-seq": ev.seq }, [
    h("p", { class: "gc-meta" }, [h("span", { class: "gc-author", text: this.label(ev) }), " ", h("span", { class: "gc-time", text: clock(ev.at) })]),
    h("p", { class: "gc-bubble" }, [richText(ev.text)])
  ]);
  if (ev.buttons && ev.buttons.length) {
    item.appendChild(h("div", { class: "gc-choices", role: "group", "aria-label": this.t("bot") }, ev.buttons.map(function (b) {
      return h("button", { type: "button", class: "gc-button gc-choice", text: String(b.title), onclick: function () { press(b); } });
    })));
  }
  if (ev.link && ev.link.url) {
    var href = safeUrl(ev.link.url, this.server);
    var title = String(ev.link.title || ev.link.url);
    item.appendChild(href ? h("a", { class: "gc-button gc-primary gc-linkbutton", href: href, text: title })
      : h("p", { class: "gc-bubble", text: title + " (" + ev.link.url + ")" }));
  }
  return item;
};

View.prototype.pending = function (id, text) {
  var item = h("li", { class: "gc-msg gc-resident gc-pending", "data-client-id": id }, [
    h("p", { class: "gc-meta" }, [h("span", { class: "gc-author", text: this.t("you") }), " ", h("span", { class: "gc-time", text: this.t("sending") })]),
    h("p", { class: "gc-bubble", text: text })
  ]);
  this.log.appendChild(item);
  this.scrollDown();
};

View.prototype.confirm = function (id) {
  var items = this.log.querySelectorAll(".gc-pending");
  for (var i = 0; i < items.length; i++) if (items[i].getAttribute("data-client-id") === id) items[i].remove();
};

View.prototype.announce = function (text) {
  this.live.appendChild(h("p", { text: text }));
  while (this.live.childNodes.length > 3) this.live.removeChild(this.live.firstChild);
};

View.prototype.notice = function (text) {
  this.log.insertBefore(h("li", { class: "gc-notice", text: text }), this.log.querySelector(".gc-pending"));
  this.announce(text);
  this.scrollDown();
};

View.prototype.clear = function () { this.log.textContent = ""; };
