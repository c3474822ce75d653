"""The conversation state machine, without any I/O."""

from __future__ import annotations

import pytest

from handover.core.lifecycle import (
    AgentActed,
    AgentClaimed,
    AgentReleased,
    AgentSpoke,
    AnnounceState,
    CallbackRequested,
    CapacityReached,
    Closed,
    DeliverToAgent,
    DeliverToResident,
    Dequeue,
    Enqueue,
    HandedBack,
    HandoverRequested,
    HoldForAgent,
    IllegalTransition,
    NotYours,
    NotYourTeam,
    QueueCancelled,
    ResidentLeft,
    ResidentSpoke,
    SendToBot,
    Snapshot,
    State,
    Transferred,
    already_in_effect,
    decide,
    decide_for_agent,
    states_allowing,
)

BOT = Snapshot(State.BOT)
QUEUED = Snapshot(State.QUEUED, team="burgerzaken")
ASSIGNED = Snapshot(State.ASSIGNED, team="burgerzaken", agent_id=7)


def test_resident_words_go_where_the_conversation_is():
    assert decide(BOT, ResidentSpoke()).effects == (SendToBot(),)
    assert decide(QUEUED, ResidentSpoke()).effects == (HoldForAgent(),)
    assert decide(ASSIGNED, ResidentSpoke()).effects == (DeliverToAgent(),)


@pytest.mark.parametrize("state", [State.CLOSED, State.ABANDONED])
def test_nobody_can_speak_in_a_final_state(state):
    with pytest.raises(IllegalTransition) as raised:
        decide(Snapshot(state), ResidentSpoke())
    assert raised.value.state is state
    assert "ResidentSpoke" in repr(raised.value)


def test_handover_queues_in_the_requested_team():
    decision = decide(BOT, HandoverRequested(team="subsidies_inkomen", reason="aanvraag"))
    assert decision.snapshot == Snapshot(State.QUEUED, team="subsidies_inkomen")
    assert decision.effects == (Enqueue("subsidies_inkomen"), AnnounceState(State.QUEUED, "aanvraag"))


def test_a_claim_assigns_and_leaves_the_queue():
    decision = decide(QUEUED, AgentClaimed(agent_id=3))
    assert decision.snapshot == Snapshot(State.ASSIGNED, team="burgerzaken", agent_id=3)
    assert Dequeue("burgerzaken") in decision.effects


def test_only_one_claim_can_win():
    assigned = decide(QUEUED, AgentClaimed(agent_id=3)).snapshot
    with pytest.raises(IllegalTransition):
        decide(assigned, AgentClaimed(agent_id=4))


def test_a_claim_needs_the_team_unless_the_chat_was_offered_in_person():
    with pytest.raises(NotYourTeam) as refused:
        decide(QUEUED, AgentClaimed(agent_id=3, teams=frozenset({"belastingen"})))
    assert refused.value.code == "not_your_team"
    offered = decide(QUEUED, AgentClaimed(agent_id=3, teams=frozenset({"belastingen"}), offered=True))
    assert offered.snapshot.agent_id == 3
    own = decide(QUEUED, AgentClaimed(agent_id=3, teams=frozenset({"burgerzaken", "belastingen"})))
    assert own.snapshot.state is State.ASSIGNED


def test_a_claim_needs_room():
    with pytest.raises(CapacityReached) as refused:
        decide(QUEUED, AgentClaimed(agent_id=3, active_chats=3, max_chats=3))
    assert refused.value.code == "capacity_reached"
    assert decide(QUEUED, AgentClaimed(agent_id=3, active_chats=2, max_chats=3)).snapshot.agent_id == 3


def test_a_chat_no_longer_waiting_is_taken_before_team_or_room_count():
    """The order of the refusals: 'already taken' wins, as an agent would expect."""
    claim = AgentClaimed(agent_id=4, teams=frozenset({"belastingen"}), active_chats=9, max_chats=1)
    with pytest.raises(IllegalTransition) as refused:
        decide(ASSIGNED, claim)
    assert type(refused.value) is IllegalTransition


def test_repeated_requests_already_in_effect_change_nothing():
    assert already_in_effect(QUEUED, HandoverRequested(team="burgerzaken", reason="verzoek_medewerker"))
    assert not already_in_effect(BOT, HandoverRequested(team="burgerzaken", reason="verzoek_medewerker"))
    mine = Snapshot(State.ASSIGNED, team="burgerzaken", agent_id=3)
    assert already_in_effect(mine, AgentClaimed(agent_id=3))
    assert not already_in_effect(mine, AgentClaimed(agent_id=4))
    assert not already_in_effect(QUEUED, AgentClaimed(agent_id=3))
    assert not already_in_effect(mine, Closed())


def test_a_lost_agent_puts_the_conversation_back_at_the_front():
    decision = decide(ASSIGNED, AgentReleased())
    assert decision.snapshot == Snapshot(State.QUEUED, team="burgerzaken")
    assert Enqueue("burgerzaken", front=True) in decision.effects


def test_transfer_requeues_in_the_other_team():
    decision = decide(ASSIGNED, Transferred(team="belastingen"))
    assert decision.snapshot == Snapshot(State.QUEUED, team="belastingen")
    assert decision.effects[0] == Enqueue("belastingen")


def test_hand_back_and_cancel_return_to_the_bot():
    assert decide(ASSIGNED, HandedBack()).snapshot.state is State.BOT
    cancelled = decide(QUEUED, QueueCancelled())
    assert cancelled.snapshot.state is State.BOT
    assert Dequeue("burgerzaken") in cancelled.effects


def test_call_back_request_and_then_the_bot_again():
    waiting = decide(QUEUED, CallbackRequested()).snapshot
    assert waiting.state is State.CALLBACK_REQUESTED
    again = decide(waiting, ResidentSpoke())
    assert again.snapshot.state is State.BOT
    assert again.effects[0] == SendToBot()


def test_leaving_the_queue_abandons_and_closing_is_final():
    assert decide(QUEUED, ResidentLeft()).snapshot.state is State.ABANDONED
    closed = decide(ASSIGNED, Closed("opgelost"))
    assert closed.snapshot == Snapshot(State.CLOSED, team="burgerzaken")
    assert closed.effects == (AnnounceState(State.CLOSED, "opgelost"),)
    with pytest.raises(IllegalTransition):
        decide(closed.snapshot, Closed())


@pytest.mark.parametrize(
    ("snapshot", "event"),
    [
        (BOT, AgentClaimed(1)),
        (BOT, AgentReleased()),
        (BOT, HandedBack()),
        (BOT, QueueCancelled()),
        (BOT, ResidentLeft()),
        (QUEUED, HandoverRequested("x", "y")),
        (QUEUED, HandedBack()),
        (ASSIGNED, HandoverRequested("x", "y")),
        (ASSIGNED, QueueCancelled()),
    ],
)
def test_impossible_events_are_refused(snapshot, event):
    with pytest.raises(IllegalTransition):
        decide(snapshot, event)


# --- what an agent may do: only in a chat assigned to them --------------------------------


def test_the_assigned_agent_speaks_to_the_resident():
    assert decide(ASSIGNED, AgentSpoke(agent_id=7)).effects == (DeliverToResident(),)
    assert states_allowing(AgentSpoke(agent_id=7)) == {State.ASSIGNED}


@pytest.mark.parametrize(
    "snapshot",
    [ASSIGNED, QUEUED, BOT, Snapshot(State.CLOSED), Snapshot(State.CALLBACK_REQUESTED)],
    ids=["another_agents_chat", "queued", "bot", "closed", "callback"],
)
def test_another_agent_or_an_unassigned_chat_is_not_yours(snapshot):
    for event in (AgentSpoke(agent_id=8), AgentActed(agent_id=8)):
        with pytest.raises(NotYours) as raised:
            decide(snapshot, event)
        assert raised.value.code == "not_yours"


def test_the_assigned_agent_may_act_without_changing_anything():
    decision = decide(ASSIGNED, AgentActed(agent_id=7))
    assert decision.snapshot == ASSIGNED
    assert decision.effects == ()


@pytest.mark.parametrize(
    "event",
    [HandedBack(), Closed("opgelost"), Transferred("vergunningen"), AgentReleased()],
    ids=["hand_back", "close", "transfer", "release"],
)
def test_an_agents_change_needs_their_own_chat(event):
    assert decide_for_agent(ASSIGNED, event, 7) == decide(ASSIGNED, event)
    with pytest.raises(NotYours):
        decide_for_agent(ASSIGNED, event, 8)
    with pytest.raises(NotYours):  # a close by an agent needs the chat assigned, not just open
        decide_for_agent(QUEUED, event, 7)
