"""The service's one exception root and the one list of error codes.

Pure: no I/O. Every exception the service raises on purpose derives from :class:`HandoverError`
and carries a ``code`` from :data:`ERROR_TEXT`: the stable code a socket's ``error`` event sends
(docs/protocol.md, "Error codes"), a log line shows, or a route turns into an answer. Its
``message`` is the plain-Dutch text a resident or agent may see; ``str(error)`` is the English
detail for developers and logs.

A new error is one class with one code: add the code and its Dutch text here, document it in
docs/protocol.md, and give the class ``code = "..."`` (tests/unit/test_errors.py checks all three).
"""

from __future__ import annotations

from typing import ClassVar

#: Every error code, with the Dutch text a resident or agent may see. The protocol's codes are these.
ERROR_TEXT: dict[str, str] = {
    # frames the socket cannot accept
    "malformed_json": "Dit bericht kon niet worden gelezen.",
    "frame_too_large": "Dit bericht is te groot.",
    "text_too_long": "Je bericht is te lang. Maak het korter en probeer het opnieuw.",
    "unknown_type": "Dit soort bericht kennen we niet.",
    "invalid_message": "Dit bericht is niet goed opgebouwd.",
    "invalid_id": "Dit bericht heeft geen geldig kenmerk.",
    "not_started": "Er is nog geen gesprek gestart.",
    "already_started": "Er loopt al een gesprek in deze verbinding.",
    "rate_limited": "Je stuurt veel berichten achter elkaar. Wacht even en probeer het opnieuw.",
    "internal_error": "Er ging iets mis. Probeer het opnieuw.",
    "unavailable": "Het lukt even niet om je bericht te bewaren. We proberen het zo opnieuw.",
    # what the conversation's rules refuse
    "unknown_conversation": "We kunnen dit gesprek niet meer vinden. Begin een nieuw gesprek.",
    "conversation_closed": "Dit gesprek is afgesloten. Begin een nieuw gesprek.",
    "not_queued": "Je staat niet (meer) in de wachtrij.",
    "already_taken": "Dit gesprek is al door iemand anders opgepakt.",
    "not_yours": "Dit gesprek is niet aan jou toegewezen.",
    "not_your_team": "Dit gesprek hoort bij een ander team.",
    "capacity_reached": "Je hebt al het maximale aantal gesprekken.",
    "unknown_team": "Dit team bestaat niet.",
    "invalid_state": "Dat kan nu niet in dit gesprek.",
    # never sent on a socket: logs, HTTP answers, handover-admin
    "bot_unavailable": "De digitale assistent is even niet bereikbaar.",
    "invalid_agent": "Deze gegevens van de medewerker kloppen niet.",
    "weak_password": "Dit wachtwoord is te kort.",
    "sign_in_refused": "Inloggen is niet gelukt.",
    "login_failed": "Inloggen is niet gelukt.",
    "login_unavailable": "Inloggen kan nu niet.",
    "link_refused": "Deze link is niet geldig of verlopen.",
    "not_allowed": "Dit kunt u niet bekijken of wijzigen.",
    "already_bound": "Deze aanvraag hoort al bij iemand anders.",
    "login_required": "Log eerst in om deze pagina te zien.",
    "page_not_found": "Deze pagina bestaat niet (meer).",
    "csrf_refused": "Het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.",
    "taak_not_published": "De taak kon niet worden klaargezet in MijnGemeente.",
}


class HandoverError(Exception):
    """Root of the service's own exceptions: a ``code`` from :data:`ERROR_TEXT` and a safe message.

    A class sets its ``code``; a class whose instances carry one of several codes lists them
    in ``codes`` and passes ``code=`` when raised. An unknown code is a programming error and
    fails at import (class) or at the raise (instance).
    """

    code: str = "internal_error"
    #: The codes an instance of this class may carry (by default only ``code``).
    codes: ClassVar[frozenset[str]] = frozenset({"internal_error"})
    _message: str | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "codes" not in cls.__dict__:
            cls.codes = frozenset({cls.code})
        unknown = (cls.codes | {cls.code}) - ERROR_TEXT.keys()
        if unknown:
            raise TypeError(f"{cls.__name__} uses error codes not in ERROR_TEXT: {sorted(unknown)}")

    def __init__(self, *args: object, code: str | None = None, message: str | None = None) -> None:
        super().__init__(*args)
        if code is not None:
            if code not in self.codes:
                raise ValueError(f"{type(self).__name__} cannot carry the code {code!r}")
            self.code = code
        if message is not None:
            self._message = message

    @property
    def message(self) -> str:
        """Plain Dutch, safe to show a resident or agent: never the English detail."""
        return self._message or ERROR_TEXT[self.code]
