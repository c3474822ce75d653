// The tab's copy of the conversation in sessionStorage: token, last seq, the events seen
// (so a reload shows the history at once, even offline) and the outbox of unacknowledged frames.
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
    // Quota or privacy mode: keep what we must (token, outbox); the history comes back by resuming from 0.
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
