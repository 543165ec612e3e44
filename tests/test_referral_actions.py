"""The referral's state machine: who may do what in which status, and that the operations
and the referral's page follow that one table."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Organisation, Queue, Referral, User
from frontdesk.models.referral import ReferralAction, ReferralStatus
from frontdesk.roles import Role
from frontdesk.timeutil import local_today


@pytest.fixture
def ops(app):
    """The back-office operations, imported once the app is built (imported on its own
    first, the module runs into the counter package's import cycle)."""
    from frontdesk.backoffice import operations

    return operations


A, S = ReferralAction, ReferralStatus
NOTHING: frozenset = frozenset()
CALLBACKS = frozenset({A.CALLBACK_DONE, A.CALLBACK_BY_EMAIL})

# Written out by hand (not derived from ACTION_RULES): what a handler may do, by status and
# by who holds the referral ("none": nobody, "self": the handler, "other": a colleague).
HANDLER_TABLE = {
    (S.NY, "none"): {A.CLAIM, A.REASSIGN, A.FORWARD, A.NOTE},
    (S.PAGAR, "self"): {A.ANSWER, A.PARK, A.RELEASE, A.REASSIGN, A.FORWARD, A.NOTE},
    (S.PAGAR, "other"): {A.NOTE},
    (S.VANTAR, "self"): {A.RESUME, A.RELEASE, A.REASSIGN, A.FORWARD, A.NOTE},
    (S.VANTAR, "other"): {A.NOTE},
    (S.ATERFORD, "self"): {A.NOTE},
    (S.ATERFORD, "other"): {A.NOTE},
    (S.AVSLUTAD, "self"): {A.NOTE},
    (S.AVSLUTAD, "other"): {A.NOTE},
    (S.AVSLUTAD, "none"): {A.NOTE},
}


def _allowed(status, holder, role):
    user = User(id=1, role=role)
    claimed_by_id = {"none": None, "self": 1, "other": 2}[holder]
    return Referral(status=status, claimed_by_id=claimed_by_id).allowed_actions(user)


@pytest.mark.parametrize(("status", "holder"), list(HANDLER_TABLE))
def test_what_a_handler_may_do(status, holder):
    assert _allowed(status, holder, Role.HANDLAGGARE) == HANDLER_TABLE[(status, holder)]


@pytest.mark.parametrize("role", [Role.VAGLEDARE, Role.CHEF, Role.ADMIN])
@pytest.mark.parametrize(("status", "holder"), list(HANDLER_TABLE))
def test_the_desk_only_closes_call_backs(role, status, holder):
    expected = CALLBACKS if status == S.ATERFORD else NOTHING
    assert _allowed(status, holder, role) == expected


def test_every_action_is_someones_somewhere():
    """No action is dead: some role may take each in some status."""
    reachable = set()
    for (status, holder), _ in HANDLER_TABLE.items():
        for role in Role:
            reachable |= _allowed(status, holder, role)
    assert reachable == set(ReferralAction)


# Each action as its operation; `claim` takes up one's own parked referral too.
def _perform(operations, action, referral, user, world_queues):
    until = local_today() + timedelta(days=9)
    if action in (A.CLAIM, A.RESUME):
        operations.claim(referral, user)
    elif action == A.RELEASE:
        operations.release(referral, user)
    elif action == A.PARK:
        operations.park(referral, user, until, "Intyg")
    elif action == A.ANSWER:
        operations.answer(referral, user, "Svar", operations.AnswerDelivery.CALLBACK)
    elif action == A.REASSIGN:
        operations.reassign(referral, user, queue=world_queues["TEK-2"])
    elif action == A.FORWARD:
        operations.forward(referral, user, world_queues["SOC"], "Fel kö")
    elif action == A.NOTE:
        operations.add_note(referral, user, "En anteckning")
    elif action == A.CALLBACK_DONE:
        operations.callback_done(referral, user)
    else:
        operations.callback_by_email(referral, user)


@pytest.fixture
def setting(app, client, auth, world):
    """A K1 referral to TEK-GATA, a second TEK queue, and a second TEK handler."""
    auth.login("anna")
    client.post(
        "/disk/kontakter",
        data={
            "channel": "besok",
            "case_type": "PARK",
            "rosa_level": "5",
            "citizen_email": "medborgare@example.se",
            "question": "Hur går det med tillståndet?",
        },
    )
    auth.logout()
    with app.app_context():
        tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
        db.session.add(Queue(code="TEK-2", name="Gata, andra", organisation=tek))
        petra = User(username="petra", display_name="Petra", role=Role.HANDLAGGARE)
        petra.organisation = tek
        petra.set_password("losenord-123")
        db.session.add(petra)
        db.session.commit()
        return db.session.scalar(sa.select(Referral.id))


def _bring_to(operations, status, referral, erik):
    """Walk the referral to the status through the operations, erik holding it."""
    if status == S.NY:
        return
    operations.claim(referral, erik)
    if status == S.VANTAR:
        operations.park(referral, erik, local_today() + timedelta(days=5), "Väntar")
    elif status == S.ATERFORD:
        operations.answer(referral, erik, "Svar", operations.AnswerDelivery.CALLBACK)
    elif status == S.AVSLUTAD:
        operations.answer(referral, erik, "Svar", operations.AnswerDelivery.CLOSE)


@pytest.mark.parametrize("status", list(ReferralStatus))
def test_the_operations_refuse_exactly_what_the_table_leaves_out(app, ops, setting, status):
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        _bring_to(ops, status, db.session.get(Referral, setting), users["erik"])
        db.session.commit()
        queues = {q.code: q for q in db.session.scalars(sa.select(Queue))}
        for username in ("erik", "petra", "anna", "karin"):
            for action in ReferralAction:
                referral = db.session.get(Referral, setting)
                user = db.session.get(User, users[username].id)
                # One operation, `claim`, takes a queued referral or resumes a parked one.
                same = {A.CLAIM, A.RESUME} if action in (A.CLAIM, A.RESUME) else {action}
                allowed = bool(referral.allowed_actions(user) & same)
                version = referral.version
                try:
                    _perform(ops, action, referral, user, queues)
                except ops.ReferralConflict as refusal:
                    assert not allowed, (username, action, refusal.message)
                    assert refusal.message  # a Swedish reason, never empty
                    assert db.session.get(Referral, setting).version == version
                except ops.NoAddress:
                    assert allowed, (username, action)  # past the gate, then no address
                else:
                    assert allowed, (username, action)
                db.session.rollback()


FORMS = {
    A.CLAIM: "/ta",
    A.RESUME: "/ta",
    A.RELEASE: "/slapp",
    A.PARK: "/parkera",
    A.ANSWER: "/svara",
    A.REASSIGN: "/omfordela",
    A.FORWARD: "/skicka",
    A.NOTE: "/anteckning",
}


@pytest.mark.parametrize("status", [S.NY, S.PAGAR, S.VANTAR, S.ATERFORD])
@pytest.mark.parametrize("username", ["erik", "petra", "anna"])
def test_the_page_offers_what_the_table_allows(app, ops, client, auth, setting, status, username):
    with app.app_context():
        erik = db.session.scalar(sa.select(User).where(User.username == "erik"))
        _bring_to(ops, status, db.session.get(Referral, setting), erik)
        db.session.commit()
        user = db.session.scalar(sa.select(User).where(User.username == username))
        allowed = db.session.get(Referral, setting).allowed_actions(user)
    auth.login(username)
    page = client.get(f"/remisser/{setting}").text
    for suffix in set(FORMS.values()):
        offered = any(a in allowed for a, s in FORMS.items() if s == suffix)
        assert (f'action="/remisser/{setting}{suffix}"' in page) == offered, suffix
    assert ("Återuppta" in page) == (A.RESUME in allowed)
