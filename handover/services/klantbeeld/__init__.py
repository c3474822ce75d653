"""The integrated customer view (klantbeeld): residents, contacts, concept requests, audit.

These are the embedded default tables; when Klantinteracties/Objects API URLs are configured,
the same events are also registered remotely through the outbox (services/outbox.py).
One module per concept; callers import from the module that holds the name:

    catalogue.py         request types and titles from the product catalogue, a chat's subject
    residents.py         partijen: identify a resident, their details and preferences
    contacts.py          klantcontacten: a closed conversation recorded once, a resident's list
    concept_requests.py  requests an agent prepares: publish, a resident's list, submit, taak state
    links.py             the "Verder in MijnGemeente" link: its token, its views, binding it
    answers.py           masking the answers of a request form
    agent_view.py        what an agent sees of the resident in a conversation (audited)
    audit.py             the append-only audit log
    errors.py            NotAllowed, AlreadyBound
"""
