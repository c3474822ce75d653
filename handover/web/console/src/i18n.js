// Dutch texts and formats of the console (states, reasons, errors, times and dates).
var WHO = { resident: "Inwoner", bot: "Assistent", agent: "Medewerker", system: "Systeem" };
var STATE_TEXT = {
  bot: "bij de assistent",
  queued: "in de wachtrij",
  assigned: "in gesprek",
  closed: "afgesloten",
  callback_requested: "terugbelverzoek",
  abandoned: "verlaten door inwoner"
};
// `released.reason` is the conversation's new state (or why the server took it back).
var REASON_TEXT = {
  queued: "doorverbonden", transfer: "doorverbonden", closed: "afgesloten", close: "afgesloten",
  bot: "terug naar de assistent", hand_back: "terug naar de assistent", abandoned: "de inwoner is weg",
  lost: "verbinding verloren"
};
var PRESENCE_TEXT = { online: "Online", pauze: "Pauze", offline: "Offline" };

var REQUEST_STATUS_TEXT = {
  open: "Klaar om in te vullen", ingediend: "Ingediend", in_behandeling: "In behandeling",
  afgehandeld: "Afgehandeld", ingetrokken: "Ingetrokken"
};
var TAAK_TEXT = { bezig: "wordt klaargezet", gepubliceerd: "staat klaar voor de inwoner",
  mislukt: "klaarzetten mislukt, beheer is ingelicht" };
var OUTCOME_TEXT = { opgelost: "opgelost", doorverwezen: "doorverwezen", terugbelverzoek: "terugbelverzoek",
  "geen reactie": "geen reactie" };
var CHANNEL_TEXT = { chat: "chat", telefoon: "telefoon", email: "e-mail", balie: "balie", post: "post" };

function errorText(ev) {
  var known = {
    already_taken: "Een collega heeft deze chat al aangenomen.",
    not_yours: "Dit gesprek is niet (meer) van jou.",
    unknown_conversation: "Dit gesprek bestaat niet meer.",
    capacity_reached: "Je hebt het maximale aantal chats tegelijk.",
    conversation_closed: "Dit gesprek is al afgesloten.",
    text_too_long: "Het bericht is te lang."
  };
  return known[ev.code] || ev.message || "Er ging iets mis.";
}

function formatWait(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  var m = Math.floor(seconds / 60), s = seconds % 60;
  if (m >= 60) return Math.floor(m / 60) + " u " + (m % 60) + " min";
  return m ? m + " min " + (s < 10 ? "0" : "") + s + " s" : s + " s";
}
function formatTime(iso) {
  if (!iso) return "";
  var d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" });
}
function formatDateTime(iso) {
  var d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toLocaleString("nl-NL", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}
function formatDate(iso) {
  if (!iso) return "";
  var d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toLocaleDateString("nl-NL", { day: "numeric", month: "long", year: "numeric" });
}
function formValue(value) {
  if (value === true) return "ja";
  if (value === false) return "nee";
  if (value === null || value === undefined || value === "") return "–";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
