"""An admin ends a person's access: deactivation and *Logga ut överallt* end every
session at once, and *Skicka länk för nytt lösenord* mails a one-time link through the
outbox (delivered by a real SMTP server on loopback) or shows it once."""

import re

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.mail.delivery import deliver_due
from frontdesk.models import AuditEvent, MailKind, OutgoingMail, User
from tests.conftest import PASSWORD
from tests.helpers import count, one


def _browser_of(app, username):
    browser = app.test_client()
    assert (
        browser.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    )
    return browser


def _logged_in(browser) -> bool:
    return browser.get("/disk").status_code == 200


def _id(world, username) -> int:
    return world.users[username]


def test_deactivation_ends_every_session_at_once(app, client, auth, world):
    anna = _browser_of(app, "anna")
    elsewhere = _browser_of(app, "anna")
    auth.login("admin")
    assert client.post(f"/admin/anvandare/{_id(world, 'anna')}/inaktivera").status_code == 303
    assert not _logged_in(anna) and not _logged_in(elsewhere)
    ended = one(app, AuditEvent, AuditEvent.action == "auth.sessions_ended")
    assert ended.data == {"reason": "deactivated", "sessions": 2}
    assert ended.user_id == _id(world, "admin")
    # Reactivated, the old sessions stay ended: the person logs in again.
    client.post(f"/admin/anvandare/{_id(world, 'anna')}/aktivera")
    assert not _logged_in(anna)
    assert _logged_in(_browser_of(app, "anna"))


def test_an_admin_logs_a_person_out_everywhere(app, client, auth, world):
    anna = _browser_of(app, "anna")
    omar = _browser_of(app, "omar")
    auth.login("admin")
    response = client.post(f"/admin/anvandare/{_id(world, 'anna')}/logga-ut", follow_redirects=True)
    assert "är utloggad överallt (1 session)" in response.text
    assert not _logged_in(anna)
    assert _logged_in(omar)
    assert _logged_in(client)  # the admin's own session is not touched


def test_without_mail_the_reset_link_is_shown_once(app, client, auth, world):
    anna = _browser_of(app, "anna")
    auth.login("admin")
    page = client.post(
        f"/admin/anvandare/{_id(world, 'anna')}/aterstall-losenord", follow_redirects=True
    ).text
    link = re.search(r"(http://localhost/konto/aterstall/[\w-]+)", page).group(1)
    assert "/konto/aterstall/" not in client.get(f"/admin/anvandare/{_id(world, 'anna')}").text
    assert count(app, OutgoingMail) == 0
    assert _logged_in(anna)  # the link alone changes nothing yet
    new = "grus-fönster-74-hallon"
    person = app.test_client()
    assert person.post(link, data={"new_password": new, "repeat": new}).status_code == 303
    assert not _logged_in(anna)
    assert person.post("/login", data={"username": "anna", "password": new}).status_code == 302


def test_with_mail_the_reset_link_goes_by_e_mail(app, client, auth, world, smtp_server):
    server = smtp_server()
    app.config.update(
        SMTP_URL=server.url,
        MAIL_FROM="Medborgarkontoret <noreply@kommun.se>",
        APP_URL="https://medborgarkontoret.kommun.se",
    )
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.username == "anna").values(email="anna@kommun.se")
        )
        db.session.commit()
    auth.login("admin")
    page = client.post(
        f"/admin/anvandare/{_id(world, 'anna')}/aterstall-losenord", follow_redirects=True
    ).text
    assert "skickad till anna@kommun.se" in page
    assert "/konto/aterstall/" not in page  # the admin never sees it
    queued = one(app, OutgoingMail, OutgoingMail.kind == MailKind.PASSWORD_RESET)
    assert queued.to_address == "anna@kommun.se"
    with app.app_context():
        deliver_due()
    [received] = server.messages
    assert received.rcpt_tos == ["anna@kommun.se"]
    text = received.message.get_content()
    link = re.search(r"https://medborgarkontoret\.kommun\.se(/konto/aterstall/[\w-]+)", text)
    assert link, text
    assert client.get(link.group(1)).status_code == 200


def test_an_inactive_account_gets_no_reset_link(app, client, auth, world):
    auth.login("admin")
    client.post(f"/admin/anvandare/{_id(world, 'anna')}/inaktivera")
    page = client.post(
        f"/admin/anvandare/{_id(world, 'anna')}/aterstall-losenord", follow_redirects=True
    ).text
    assert "aktivera det först" in page
    assert count(app, AuditEvent, AuditEvent.action == "auth.password_reset_issued") == 0
