/*! Gemeente chat widget | EUPL-1.2 | built from widget/src by widget/build.py */
(function () {
"use strict";
var WIDGET_CSS = ":host{all: initial !important;display: block !important;position: static !important;visibility: visible !important;opacity: 1 !important;transform: none !important;filter: none !important}[hidden]{display: none !important}.gc{--_primary: var(--gc-primary,var(--utrecht-button-primary-action-background-color,#01689b));--_primary-text: var(--gc-primary-text,var(--utrecht-button-primary-action-color,#ffffff));--_text: var(--gc-text,var(--utrecht-document-color,#1a1a1a));--_muted: var(--gc-muted,#545454);--_bg: var(--gc-background,var(--utrecht-document-background-color,#ffffff));--_surface: var(--gc-surface,#eef2f5);--_border: var(--gc-border,#8a8a8a);--_focus: var(--gc-focus,var(--utrecht-focus-outline-color,#000000));--_focus-bg: var(--gc-focus-background,#ffffff);--_notice: var(--gc-notice,#fff4d6);--_warning: var(--gc-warning,#b35c00);--_error: var(--gc-error,#c00000);--_radius: var(--gc-radius,var(--utrecht-border-radius,0.5em));--_font: var(--gc-font-family,var(--utrecht-document-font-family,system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif));font-family: var(--_font);font-size: medium;line-height: 1.5;color: var(--_text);text-align: start}.gc *,.gc *::before,.gc *::after{box-sizing: border-box}.gc p,.gc h2,.gc h3,.gc ol,.gc fieldset,.gc legend{margin: 0;padding: 0}.gc button,.gc textarea,.gc input{font: inherit;color: inherit}.gc a{color: var(--_primary);text-decoration: underline}.gc :focus-visible{outline: 3px solid var(--_focus);outline-offset: 2px;box-shadow: 0 0 0 2px var(--_focus-bg)}.gc-sr{position: absolute;width: 1px;height: 1px;margin: -1px;overflow: hidden;clip: rect(0 0 0 0);white-space: nowrap;border: 0}.gc .gc-button{display: inline-flex;align-items: center;justify-content: center;gap: 0.4em;min-height: 2.75em;padding: 0.4em 1em;border: 2px solid var(--_primary);border-radius: var(--_radius);background: var(--_bg);color: var(--_primary);font-weight: 600;cursor: pointer;text-decoration: none}.gc .gc-button:hover{text-decoration: underline}.gc .gc-button:disabled{opacity: 0.6;cursor: not-allowed}.gc .gc-primary{background: var(--_primary);color: var(--_primary-text)}.gc .gc-linkbutton{color: var(--_primary-text);margin-top: 0.4em}.gc .gc-launcher{position: fixed;right: 1em;bottom: 1em;z-index: 2147483000;display: inline-flex;align-items: center;gap: 0.5em;min-height: 3em;padding: 0.5em 1.2em;border: 2px solid var(--_primary-text);border-radius: 1.5em;background: var(--_primary);color: var(--_primary-text);font-weight: 700;cursor: pointer;box-shadow: 0 0.2em 0.8em rgba(0,0,0,0.3)}.gc-launcher-icon{width: 1.2em;height: 1em;border: 2px solid currentColor;border-radius: 0.4em 0.4em 0.4em 0}.gc-panel{position: fixed;right: 1em;bottom: 1em;z-index: 2147483000;display: flex;flex-direction: column;width: min(26em,calc(100vw - 2em));height: min(40em,calc(100vh - 2em));background: var(--_bg);color: var(--_text);border: 1px solid var(--_border);border-radius: var(--_radius);box-shadow: 0 0.3em 1.5em rgba(0,0,0,0.3);overflow: hidden;animation: gc-in 0.15s ease-out}@keyframes gc-in{from{opacity: 0;transform: translateY(0.5em)}}@media (max-width: 30em),(max-height: 30em){.gc-panel{inset: 0;width: 100%;height: 100%;border: 0;border-radius: 0}}.gc-header{display: flex;flex-wrap: wrap;gap: 0.5em;align-items: flex-start;justify-content: space-between;padding: 0.6em 0.8em;background: var(--_primary);color: var(--_primary-text)}.gc-heading{flex: 1 1 10em;min-width: 0}.gc-header h2{font-size: 1.15em;line-height: 1.3;font-weight: 700}.gc-who{font-size: 0.9em}.gc-tools{display: flex;flex-wrap: wrap;gap: 0.4em}.gc .gc-tool{min-height: 2.5em;padding: 0.2em 0.6em;background: transparent;color: var(--_primary-text);border-color: var(--_primary-text);font-size: 0.9em}.gc-header :focus-visible{outline-color: var(--_primary-text);box-shadow: 0 0 0 5px var(--_focus)}.gc-offline{margin: 0;padding: 0.5em 0.8em;background: var(--_notice);border-left: 0.4em solid var(--_warning);font-weight: 600}.gc-scroll{flex: 1 1 auto;min-height: 4em;overflow-y: auto;padding: 0.8em;display: flex;flex-direction: column;gap: 0.6em}.gc-privacy{font-size: 0.9em;color: var(--_muted);border-bottom: 1px solid var(--_surface);padding-bottom: 0.6em}.gc-log{list-style: none;display: flex;flex-direction: column;gap: 0.6em}.gc-msg{display: flex;flex-direction: column;align-items: flex-start;max-width: 90%;overflow-wrap: anywhere}.gc-meta{font-size: 0.8em;color: var(--_muted)}.gc-author{font-weight: 700}.gc-bubble{display: block;padding: 0.5em 0.8em;border-radius: var(--_radius);background: var(--_surface);white-space: pre-wrap}.gc-resident{align-self: flex-end;align-items: flex-end}.gc-resident .gc-bubble{background: var(--_primary);color: var(--_primary-text)}.gc-resident .gc-bubble a{color: var(--_primary-text)}.gc-agent .gc-bubble{background: var(--_bg);border: 2px solid var(--_primary)}.gc-system .gc-bubble{background: var(--_notice)}.gc-pending .gc-bubble{opacity: 0.8;border: 2px dashed var(--_primary-text)}.gc-notice{align-self: stretch;text-align: center;font-weight: 600;padding: 0.4em 0.6em;background: var(--_notice);border-radius: var(--_radius)}.gc-choices{display: flex;flex-wrap: wrap;gap: 0.4em;margin-top: 0.4em}.gc .gc-choice{min-height: 2.5em}.gc-typing{padding: 0 0.8em 0.3em;font-size: 0.9em;color: var(--_muted);font-style: italic}.gc-queue{padding: 0.5em 0.8em;background: var(--_notice);display: flex;flex-wrap: wrap;gap: 0.4em;align-items: center}.gc-form{padding: 0.6em 0.8em 0.8em;border-top: 1px solid var(--_border);display: flex;flex-direction: column;gap: 0.4em}.gc textarea{width: 100%;min-height: 2.75em;max-height: 8em;resize: vertical;padding: 0.4em 0.6em;border: 2px solid var(--_border);border-radius: var(--_radius);background: var(--_bg);color: var(--_text)}.gc textarea::placeholder{color: var(--_muted);opacity: 1}.gc-actions{display: flex;flex-wrap: wrap;gap: 0.4em;justify-content: space-between}.gc-newchat{margin: 0.6em 0.8em 0.8em}.gc-feedback{padding: 0.8em;border: 2px solid var(--_primary);border-radius: var(--_radius)}.gc-feedback-form{display: flex;flex-direction: column;gap: 0.5em}.gc fieldset{border: 0}.gc legend{font-weight: 700;margin-bottom: 0.3em}.gc-scores{display: flex;flex-wrap: wrap;gap: 0.3em}.gc-score{display: inline-flex;align-items: center;gap: 0.3em;padding: 0.2em 0.5em;border: 1px solid var(--_border);border-radius: var(--_radius);cursor: pointer}.gc-score input{width: 1.1em;height: 1.1em;margin: 0;accent-color: var(--_primary)}.gc-thanks{font-weight: 700}.gc-callback{padding: 0.8em;border: 2px solid var(--_primary);border-radius: var(--_radius)}.gc-callback-form{display: flex;flex-direction: column;gap: 0.6em}.gc-callback h3{font-size: 1.05em}.gc-field{display: flex;flex-direction: column;gap: 0.2em}.gc-field label,.gc-check label{font-weight: 600}.gc-field input{width: 100%;min-height: 2.75em;padding: 0.4em 0.6em;border: 2px solid var(--_border);border-radius: var(--_radius);background: var(--_bg)}.gc-check{display: grid;grid-template-columns: auto 1fr;gap: 0.2em 0.5em;align-items: start}.gc-check input{width: 1.4em;height: 1.4em;margin: 0.1em 0 0;accent-color: var(--_primary)}.gc-check .gc-error{grid-column: 1 / -1}.gc-hint{font-size: 0.9em;color: var(--_muted)}.gc-error{color: var(--_error);font-weight: 700;border-left: 0.3em solid var(--_error);padding-left: 0.4em}.gc [aria-invalid=\"true\"]{border-color: var(--_error)}@media (prefers-reduced-motion: reduce){.gc *,.gc *::before,.gc *::after{animation: none !important;transition: none !important;scroll-behavior: auto !important}}@media (forced-colors: active){.gc-button,.gc-launcher,.gc-bubble,.gc-panel{border: 2px solid CanvasText}}";
var TEXTS = {
nl: {
launcher: "Chat met de gemeente",
title: "Chat met de gemeente",
close: "Sluiten",
save: "Gesprek opslaan",
privacy: "We bewaren dit gesprek om je goed te helpen. Deel geen BSN of bankgegevens. ",
privacyLink: "Lees hoe we met je gegevens omgaan",
welcome: "Hallo! Ik ben de digitale assistent van de gemeente. Stel je vraag in een paar woorden.",
inputLabel: "Je bericht",
messages: "Berichten",
placeholder: "Typ je vraag",
send: "Verstuur",
human: "Medewerker",
humanText: "Ik wil een medewerker spreken",
you: "Jij", bot: "Assistent", agent: "Medewerker", system: "Melding",
sending: "Wordt verstuurd…",
typingBot: "De assistent denkt na…",
typingAgent: "{name} typt…",
offline: "Geen verbinding. We proberen het opnieuw. Wat je typt, sturen we zodra het weer kan.",
withBot: "Je praat met de digitale assistent.",
withAgent: "Je praat met {name}, medewerker van de gemeente.",
queued: "We zoeken een medewerker voor je.",
queuedTeam: "We zoeken een medewerker van {team} voor je.",
assigned: "{name} neemt het gesprek over. {name} is een medewerker van de gemeente.",
assignedNoName: "Een medewerker van de gemeente neemt het gesprek over.",
backToBot: "Je praat weer met de digitale assistent.",
closed: "Het gesprek is afgesloten.",
callback: "We nemen zo snel mogelijk contact met je op.",
abandoned: "Je bent gestopt met wachten.",
position: "Je bent nummer {n} in de rij.",
waitMinutes: "Je wacht ongeveer {n} minuten.",
waitShort: "Je wacht minder dan een minuut.",
cancelQueue: "Stop met wachten",
cbTitle: "Terugbelverzoek",
cbNoAgents: "Er is nu geen medewerker vrij. Laat je gegevens achter. Dan bellen of mailen we je.",
cbClosed: "We zijn nu gesloten. Openingstijden: {hours}. Laat je gegevens achter. Dan bellen of mailen we je.",
cb_name: "Naam (mag leeg blijven)",
cb_phone: "Telefoonnummer",
cb_email: "E-mailadres",
cb_message: "Bericht (mag leeg blijven)",
cbContactHint: "Vul je telefoonnummer of je e-mailadres in. Eén van de twee is genoeg.",
cbConsent: "Ik geef toestemming dat de gemeente mij hierover belt of mailt",
cbSend: "Verstuur terugbelverzoek",
cbNeedContact: "Vul je telefoonnummer of je e-mailadres in.",
cbBadPhone: "Dit telefoonnummer klopt niet. Gebruik alleen cijfers, bijvoorbeeld 0612345678.",
cbBadEmail: "Dit e-mailadres klopt niet. Bijvoorbeeld: naam@voorbeeld.nl",
cbNeedConsent: "Zet een vinkje bij toestemming. Anders mogen we je niet bellen of mailen.",
cbDone: "Bedankt! We hebben je terugbelverzoek ontvangen. We bellen of mailen je zo snel mogelijk.",
feedbackQuestion: "Hoe tevreden ben je over dit gesprek?",
scores: ["1 - Slecht", "2", "3", "4", "5 - Heel goed"],
feedbackComment: "Wil je nog iets zeggen? Dit mag leeg blijven.",
feedbackSend: "Verstuur",
feedbackThanks: "Bedankt voor je mening!",
newChat: "Nieuw gesprek",
transcriptTitle: "Gesprek met de gemeente",
transcriptSaved: "Opgeslagen op",
file: "gesprek-gemeente"
},
en: {
launcher: "Chat with the municipality",
title: "Chat with the municipality",
close: "Close",
save: "Save conversation",
privacy: "We keep this conversation to help you. Do not share your citizen service number (BSN) or bank details. ",
privacyLink: "Read how we handle your data",
welcome: "Hello! I am the digital assistant of the municipality. Ask your question in a few words.",
inputLabel: "Your message",
messages: "Messages",
placeholder: "Type your question",
send: "Send",
human: "Talk to a person",
humanText: "Ik wil een medewerker spreken",
you: "You", bot: "Assistant", agent: "Employee", system: "Notice",
sending: "Sending…",
typingBot: "The assistant is thinking…",
typingAgent: "{name} is typing…",
offline: "No connection. We keep trying. What you type is sent as soon as possible.",
withBot: "You are talking to the digital assistant.",
withAgent: "You are talking to {name}, an employee of the municipality.",
queued: "We are finding an employee for you.",
queuedTeam: "We are finding an employee of {team} for you.",
assigned: "{name} takes over the conversation. {name} is an employee of the municipality.",
assignedNoName: "An employee of the municipality takes over the conversation.",
backToBot: "You are talking to the digital assistant again.",
closed: "The conversation has ended.",
callback: "We will contact you as soon as possible.",
abandoned: "You stopped waiting.",
position: "You are number {n} in the queue.",
waitMinutes: "The wait is about {n} minutes.",
waitShort: "The wait is less than a minute.",
cancelQueue: "Stop waiting",
cbTitle: "Call-back request",
cbNoAgents: "No employee is free right now. Leave your details. Then we will call or email you.",
cbClosed: "We are closed now. Opening hours: {hours}. Leave your details. Then we will call or email you.",
cb_name: "Name (optional)",
cb_phone: "Phone number",
cb_email: "Email address",
cb_message: "Message (optional)",
cbContactHint: "Fill in your phone number or your email address. One of the two is enough.",
cbConsent: "I agree that the municipality calls or emails me about this",
cbSend: "Send call-back request",
cbNeedContact: "Fill in your phone number or your email address.",
cbBadPhone: "This phone number is not correct. Use numbers only, for example 0612345678.",
cbBadEmail: "This email address is not correct. For example: name@example.com",
cbNeedConsent: "Tick the box to agree. Otherwise we may not call or email you.",
cbDone: "Thank you! We have received your call-back request. We will call or email you as soon as possible.",
feedbackQuestion: "How satisfied are you with this conversation?",
scores: ["1 - Bad", "2", "3", "4", "5 - Very good"],
feedbackComment: "Anything else you want to tell us? You may leave this empty.",
feedbackSend: "Send",
feedbackThanks: "Thank you for your feedback!",
newChat: "New conversation",
transcriptTitle: "Conversation with the municipality",
transcriptSaved: "Saved on",
file: "conversation-municipality"
}
};
function translator(lang, overrides) {
var table = TEXTS[lang] || TEXTS.nl;
return function t(key, values) {
var text = (overrides && overrides[key]) || table[key];
if (values) {
Object.keys(values).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
}
return text;
};
}
var SOCIAL_SOURCES = /^(facebook|fb|instagram|ig|twitter|x|t\.co|linkedin|lnkd|tiktok|youtube|whatsapp|snapchat|pinterest|threads|mastodon|bluesky|reddit|social)$/i;
function readConfig(script) {
var d = (script && script.dataset) || {};
var src = new URL((script && script.src) || location.href, location.href);
var docLang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
var lang = d.lang === "en" || d.lang === "nl" ? d.lang : (docLang.indexOf("en") === 0 ? "en" : "nl");
return {
server: (d.server || src.origin).replace(/\/+$/, ""),
lang: lang,
topic: d.topic || d.team || null,
channel: d.channel || null,
privacyUrl: d.privacyUrl || "/privacy",
open: d.open === "true",
texts: { title: d.title, launcher: d.launcherText, welcome: d.welcome },
colors: {
"--gc-primary": d.colorPrimary,
"--gc-primary-text": d.colorPrimaryText,
"--gc-text": d.colorText,
"--gc-background": d.colorBackground,
"--gc-focus": d.colorFocus
}
};
}
function pageContext(cfg) {
var utm = {};
new URLSearchParams(location.search).forEach(function (value, key) {
if (key.indexOf("utm_") === 0 && key.length > 4 && value) utm[key.slice(4, 44)] = value.slice(0, 200);
});
var social = SOCIAL_SOURCES.test(utm.source || "") || /social/i.test(utm.medium || "");
var context = { page: location.href.slice(0, 2048), channel: cfg.channel || (social ? "social" : "website"), lang: cfg.lang };
if (document.referrer) context.referrer = document.referrer.slice(0, 2048);
if (Object.keys(utm).length) context.utm = utm;
if (cfg.topic) context.topic_hint = cfg.topic.slice(0, 80);
return context;
}
function Store(key) {
this.key = key;
var empty = { token: null, lastSeq: 0, events: [], outbox: [], landing: null, open: false, feedback: false };
var saved = null;
try { saved = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { saved = null; }
this.data = Object.assign(empty, saved || {});
}
Store.prototype.save = function () {
try {
sessionStorage.setItem(this.key, JSON.stringify(this.data));
} catch (e) {
try {
sessionStorage.setItem(this.key, JSON.stringify(Object.assign({}, this.data, { events: [], lastSeq: 0 })));
} catch (e2) { /* storage unavailable: the conversation lives as long as the page */ }
}
};
Store.prototype.reset = function () {
var d = this.data;
d.token = null; d.lastSeq = 0; d.events = []; d.feedback = false; d.offer = null;
this.save();
};
var BACKOFF_MIN = 1000, BACKOFF_MAX = 30000, SILENCE_MS = 45000, PING_MS = 25000;
function Connection(url, handlers) {
this.url = url;
this.handlers = handlers;
this.ws = null;
this.timer = null;
this.backoff = BACKOFF_MIN;
this.lastIn = 0;
this.lastOut = 0;
this.wanted = false;
var self = this;
window.addEventListener("online", function () { if (self.wanted && !self.ws) { self.backoff = BACKOFF_MIN; self.connect(); } });
window.addEventListener("offline", function () { self.drop(); });
setInterval(function () { self.watch(); }, 5000);
}
Connection.prototype.isOpen = function () { return !!this.ws && this.ws.readyState === 1; };
Connection.prototype.connect = function () {
this.wanted = true;
clearTimeout(this.timer);
if (this.ws) return;
if (navigator.onLine === false) { this.handlers.down(); return; }  // the "online" event brings us back
var self = this, ws;
try { ws = new WebSocket(this.url); } catch (e) { this.retry(); return; }
this.ws = ws;
if (this.handlers.connecting) this.handlers.connecting();
ws.onopen = function () { self.backoff = BACKOFF_MIN; self.lastIn = Date.now(); self.handlers.open(); };
ws.onmessage = function (msg) {
self.lastIn = Date.now();
var event;
try { event = JSON.parse(msg.data); } catch (e) { return; }
if (event && typeof event === "object") self.handlers.event(event);
};
ws.onclose = function (e) { if (self.ws === ws) { self.ws = null; self.handlers.down(e.code); self.retry(); } };
};
Connection.prototype.drop = function () {
var ws = this.ws;
if (!ws) return;
this.ws = null;
ws.onclose = ws.onmessage = ws.onopen = null;
try { ws.close(); } catch (e) { /* already closed */ }
this.handlers.down();
this.retry();
};
Connection.prototype.close = function () {
this.wanted = false;
clearTimeout(this.timer);
var ws = this.ws;
if (!ws) return;
this.ws = null;
ws.onclose = ws.onmessage = ws.onopen = null;
try { ws.close(1000); } catch (e) { /* already closed */ }
this.handlers.down();
};
Connection.prototype.retry = function () {
if (!this.wanted) return;
var self = this;
var wait = Math.min(this.backoff, BACKOFF_MAX) * (0.5 + Math.random());
this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX);
clearTimeout(this.timer);
this.timer = setTimeout(function () { self.connect(); }, wait);
};
Connection.prototype.send = function (frame) {
if (!this.isOpen()) return false;
this.ws.send(JSON.stringify(frame));
this.lastOut = Date.now();
return true;
};
Connection.prototype.watch = function () {
if (!this.isOpen()) return;
var now = Date.now();
if (now - this.lastIn > SILENCE_MS) this.drop();
else if (now - this.lastOut > PING_MS) this.send({ type: "ping", id: newId() });
};
var idCounter = 0;
function newId() {
idCounter += 1;
var random = (window.crypto && crypto.getRandomValues) ? crypto.getRandomValues(new Uint32Array(2)).join("") : String(Math.random()).slice(2);
return "w" + Date.now().toString(36) + "-" + idCounter + "-" + Number(random.slice(0, 12)).toString(36);
}
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
function ChatWidget(script) {
var cfg = readConfig(script);
var t = translator(cfg.lang, cfg.texts);
var store = new Store("gemeente-chat:" + cfg.server);
var data = store.data;
if (!data.token && !data.landing) { data.landing = pageContext(cfg); store.save(); }
var hostEl = document.createElement("div");
hostEl.setAttribute("data-gemeente-chat", "");
Object.keys(cfg.colors).forEach(function (name) { if (cfg.colors[name]) hostEl.style.setProperty(name, cfg.colors[name]); });
var root = hostEl.attachShadow({ mode: "open" });
if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
var sheet = new CSSStyleSheet();
sheet.replaceSync(WIDGET_CSS);  // not an inline <style>: works under a strict style-src CSP
root.adoptedStyleSheets = [sheet];
} else {
root.appendChild(h("style", { text: WIDGET_CSS }));
}
var seen = {};            // seq -> true: nothing shows twice
var ready = false;        // this socket has started or resumed the conversation
var greeting = false;     // a start or resume is on its way: another one would only be refused
var startId = null;
var state = "bot";
var agentName = null;
var lastTyping = 0;
var view = new View(root, t, cfg, {
open: function (open) { data.open = open; store.save(); view.setOpen(open, true); if (open) conn.connect(); },
say: function (text) { queue({ type: "message", id: newId(), text: text }, text); },
human: function () { queue({ type: "request_human", id: newId() }); },
cancelQueue: function () { queue({ type: "cancel_queue", id: newId() }); },
callback: function (details) { queue(Object.assign({ type: "callback", id: newId() }, details)); },
typing: function () {
if (state !== "assigned" || !ready || Date.now() - lastTyping < 3000) return;
lastTyping = Date.now();
conn.send({ type: "typing", id: newId(), active: true });
},
feedback: function (score, comment) {
var frame = { type: "feedback", id: newId(), score: score };
if (comment) frame.comment = comment.slice(0, 1000);
queue(frame);
data.feedback = true; store.save();
showState();
view.thanks.focus();
},
download: download,
restart: function () {
store.reset(); seen = {}; ready = false; state = "bot"; agentName = null;
view.clear(); conn.drop(); showState(); view.input.focus();
}
});
var conn = new Connection(cfg.server.replace(/^http/, "ws") + "/ws/chat", {
open: function () { view.offline.hidden = true; greeting = false; hello(); },
down: function () { ready = false; greeting = false; view.offline.hidden = false; view.typing.hidden = true; },
event: handle
});
function hello() {
if (greeting) return;
if (data.token) greeting = conn.send({ type: "resume", id: newId(), token: data.token, last_seq: data.lastSeq });
else if (data.outbox.length) {
startId = newId();
var context = Object.assign({}, data.landing || pageContext(cfg), { page: location.href.slice(0, 2048), lang: cfg.lang });
greeting = conn.send({ type: "start", id: startId, context: context });
}
}
function queue(frame, shownText) {
data.outbox.push(frame); store.save();
if (shownText !== undefined) view.pending(frame.id, shownText);
if (ready) conn.send(frame);
else if (conn.isOpen()) hello();
else conn.connect();
}
function showPending() {
data.outbox.forEach(function (f) { if (f.type === "message" || f.type === "button") view.pending(f.id, f.text || f.title); });
}
function flush() { data.outbox.forEach(function (frame) { conn.send(frame); }); }
function settle(id) {
var before = data.outbox.length;
data.outbox = data.outbox.filter(function (f) { return f.id !== id; });
if (data.outbox.length !== before) store.save();
}
function record(ev, live) {
if (typeof ev.seq !== "number" || seen[ev.seq]) return;
seen[ev.seq] = true;
if (ev.client_id) view.confirm(ev.client_id);
if (live) {
data.events.push(ev);
data.lastSeq = Math.max(data.lastSeq, ev.seq);
store.save();
}
if (ev.type === "state") {
state = ev.state;
if (ev.state === "assigned") agentName = ev.agent_name || null;
if (ev.state !== "queued") view.queue.hidden = true;
if (data.offer && ev.seq > data.offer.seq) { data.offer = null; store.save(); }
}
var offerWasHidden = view.callback.hidden;
view.render(ev, live, press);
showState();
if (live && offerWasHidden && !view.callback.hidden) refocus(view.cb_name, view.humanButton);
if (live && ev.state === "closed" && !data.feedback) refocus(view.feedbackForm.querySelector("input"));
if (live && ev.state === "callback_requested") refocus(view.cbDone);
}
function refocus(el, also) {
var active = root.activeElement;
if (!view.panel.hidden && (!active || active === also || !active.getClientRects().length)) el.focus();
}
function press(button) {
queue({ type: "button", id: newId(), payload: String(button.payload), title: String(button.title) }, String(button.title));
view.input.focus();
}
function showState() {
var closed = state === "closed" || state === "abandoned";
view.who.textContent = state === "assigned" ? (agentName ? t("withAgent", { name: agentName }) : t("assignedNoName"))
: state === "queued" ? t("queued") : t("withBot");
view.input.disabled = view.sendButton.disabled = view.humanButton.disabled = closed;
view.form.hidden = closed;
view.newChat.hidden = !closed;
view.humanButton.hidden = state === "queued" || state === "assigned";
view.feedback.hidden = state !== "closed";
view.feedbackForm.hidden = data.feedback;
view.thanks.hidden = !data.feedback;
var done = state === "callback_requested";
view.callback.hidden = !done && !(data.offer && state === "queued");
view.cbForm.hidden = done;
view.cbDone.hidden = !done;
if (data.offer) view.cbIntro.textContent = data.offer.reason === "closed" && data.offer.hours
? t("cbClosed", { hours: data.offer.hours }) : t("cbNoAgents");
}
function handle(ev) {
switch (ev.type) {
case "started":
if (ev.reply_to !== startId) return;
data.token = ev.token; data.lastSeq = 0; data.events = []; data.feedback = false; store.save();
state = ev.state || "bot"; ready = true; greeting = false; showState(); flush();
return;
case "resumed":
if (ev.recovered === false) { data.events = []; data.lastSeq = 0; seen = {}; view.clear(); showPending(); store.save(); }
state = ev.state || state; ready = true; greeting = false; showState(); flush();
return;
case "ack":
settle(ev.reply_to);
if (typeof ev.seq === "number" && seen[ev.seq]) view.confirm(ev.reply_to);
return;
case "message": case "state":
if (ev.reply_to) settle(ev.reply_to);
record(ev, true);
return;
case "typing":
if (ev.author === "resident") return;
view.typing.hidden = !ev.active;
view.typing.textContent = ev.author === "agent" ? t("typingAgent", { name: agentName || t("agent") }) : t("typingBot");
return;
case "queue":
view.queue.hidden = false;
var text = t("position", { n: ev.position });
if (typeof ev.expected_wait_seconds === "number") {
text += " " + (ev.expected_wait_seconds < 60 ? t("waitShort") : t("waitMinutes", { n: Math.ceil(ev.expected_wait_seconds / 60) }));
}
if (view.queueText.textContent !== text) { view.queueText.textContent = text; view.announce(text); }
return;
case "availability":
if (ev.available !== false) return;
data.offer = { seq: ev.seq || data.lastSeq, reason: ev.reason, hours: ev.opening_hours || "" }; store.save();
view.cbSubmit.disabled = false; view.cbSubmit.textContent = t("cbSend");
showState();
if (!view.callback.hidden) { view.scrollDown(); refocus(view.cb_name, view.humanButton); }
return;
case "error":
return failed(ev);
}
}
function failed(ev) {
if (ev.reply_to === startId) greeting = false;  // the start itself was refused
var frame = data.outbox.filter(function (f) { return f.id === ev.reply_to; })[0];
if (ev.code === "rate_limited") { setTimeout(function () { if (ready) flush(); }, 1000 * (ev.retry_after || 2)); return; }
if (ev.code === "unknown_conversation") {
data.token = null; data.lastSeq = 0; data.events = []; seen = {}; view.clear(); showPending(); store.save();
greeting = false;
if (data.outbox.length) hello();
return;
}
if (ev.code === "not_started") { conn.drop(); return; }
if (!frame) return;
settle(frame.id);
view.confirm(frame.id);
if (frame.type === "callback") return view.callbackFailed(ev.message || ev.code);
if (ev.code === "unknown_type") {
if (frame.type === "request_human") view.actions_say(t("humanText"));
return;
}
if (ev.code === "conversation_closed") { state = "closed"; showState(); }
if (ev.message) view.notice(ev.message);
}
view.actions_say = function (text) { queue({ type: "message", id: newId(), text: text }, text); };
function download() {
var lines = [t("transcriptTitle"), t("transcriptSaved") + " " + new Date().toLocaleString(cfg.lang === "en" ? "en-GB" : "nl-NL"), ""];
data.events.forEach(function (ev) {
if (ev.type === "state") { var s = view.stateText(ev); if (s) lines.push("— " + s); return; }
lines.push("[" + clock(ev.at) + "] " + view.label(ev) + ": " + (ev.text || ""));
if (ev.link && ev.link.url) lines.push("    " + (ev.link.title || "") + " " + ev.link.url);
});
var blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/plain;charset=utf-8" });
var url = URL.createObjectURL(blob);
var a = h("a", { href: url, download: t("file") + "-" + new Date().toISOString().slice(0, 10) + ".txt" });
root.appendChild(a); a.click(); a.remove();
setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
}
data.events.forEach(function (ev) { record(ev, false); });
showPending();
showState();
(document.body || document.documentElement).appendChild(hostEl);
if (data.open || cfg.open) view.setOpen(true, false);
if (data.token || data.outbox.length) conn.connect();
return { open: function () { view.setOpen(true, true); conn.connect(); } };
}
(function boot() {
var script = document.currentScript;
function run() { if (!window.GemeenteChat) window.GemeenteChat = ChatWidget(script); }
if (document.body) run(); else document.addEventListener("DOMContentLoaded", run);
})();
})();
