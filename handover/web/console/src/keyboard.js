// Keyboard shortcuts (Alt+letter, Alt+digit) and the help dialog (?).
function openHelp() {
  var dialog = $("help-dialog");
  if (dialog.open) return;
  var opener = document.activeElement;
  dialog.showModal();
  dialog.addEventListener("close", function handler() {
    dialog.removeEventListener("close", handler);
    if (opener && document.contains(opener)) opener.focus();
  });
}
$("help-button").addEventListener("click", openHelp);

function isTextField(node) {
  if (!node) return false;
  var tag = node.tagName;
  return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && !/^(checkbox|radio|button|submit)$/.test(node.type)) || node.isContentEditable;
}

document.addEventListener("keydown", function (e) {
  if (!me || $("console-view").hidden) return;
  if (document.querySelector("dialog[open]")) return;
  // event.code, not event.key: Alt+letter types a special character on macOS and Alt+Shift+1 is "!".
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    var digit = /^Digit([1-9])$/.exec(e.code);
    if (digit) {
      var id = chatOrder[Number(digit[1]) - 1];
      e.preventDefault();
      if (id) activate(id, true);
      return;
    }
    var action = {
      KeyA: acceptNext,
      KeyM: function () { if (activeId) $("message").focus(); },
      KeyN: function () {
        if (!activeId) return;
        $("note-mode").checked = !$("note-mode").checked;
        renderNoteMode();
        $("message").focus();
        announce($("note-mode").checked ? "Interne notitie aan." : "Interne notitie uit.");
      },
      KeyR: function () { if (activeId && !$("canned").disabled) $("canned").focus(); },
      KeyT: openTransfer,
      KeyB: openHandBack,
      KeyC: openClose,
      KeyK: function () { toggleKlantbeeld(true); },
      KeyQ: openRequest,
      KeyP: function () { $("presence").focus(); }
    }[e.code];
    if (action) { e.preventDefault(); action(); }
    return;
  }
  if (e.key === "?" && !e.ctrlKey && !e.altKey && !e.metaKey && !isTextField(e.target)) {
    e.preventDefault();
    openHelp();
  }
});
