"""The inbox: receiving, triage like the counter, direct replies, spam, letters, the web form."""

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Contact, InboxMessage, Referral
from frontdesk.timeutil import utcnow
from tests.helpers import count, one

MAIL = Path(__file__).resolve().parent / "mail"


def post_message(api, as_user="anna", **overrides):
    body = {
        "channel": "epost",
        "sender": "Eva <eva@example.se>",
        "subject": "Parkering",
        "body": "Hur söker jag parkeringstillstånd?",
    } | overrides
    return api.post("/inbox", json=body, as_user=as_user)


def test_api_message_is_triaged_like_a_counter_contact(app, world, api):
    created = post_message(api)
    assert created.status_code == 201, created.json
    message_id, receipt = created.json["id"], created.json["receipt"]
    assert receipt.startswith("E-") and len(receipt) == 10
    listed = api.get("/inbox?status=new").json["messages"]
    assert [m["id"] for m in listed] == [message_id]
    # PARK has mandate 3 at K1: level 5 is referred, as at the counter.
    triaged = api.post(
        f"/inbox/{message_id}/triage", json={"case_type": "PARK", "rosa_level": 5, "office": "K1"}
    )
    assert triaged.status_code == 201, triaged.json
    assert (
        triaged.json["outcome"] == "eskalerat" and triaged.json["referral"]["queue"] == "TEK-GATA"
    )
    contact = one(app, Contact, Contact.id == triaged.json["id"])
    assert contact.channel == "epost" and contact.rosa_level == 5
    message = one(app, InboxMessage)
    assert message.status == "triaged" and message.contact_id == contact.id
    assert contact.occurred_at == message.received_at  # the message's arrival, not the triage
    assert count(app, Referral) == 1
    assert api.get("/inbox?status=new").json["messages"] == []
    again = api.post(f"/inbox/{message_id}/triage", json={"case_type": "PARK", "rosa_level": 1})
    assert again.status_code == 409 and again.json["status"] == "triaged"
    assert count(app, Contact) == 1


def test_two_guides_cannot_triage_the_same_message(app, world, api):
    message_id = post_message(api).json["id"]
    with app.app_context():
        db.engine.dispose()
    results = []

    def triage_as(user):
        client = app.test_client()
        response = client.post(
            f"/api/v1/inbox/{message_id}/triage",
            json={"case_type": "PARK", "rosa_level": 2},
            headers={"Authorization": f"Bearer {world.tokens[user]}"},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=triage_as, args=(u,)) for u in ("anna", "omar") * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201] + [409] * 7
    assert count(app, Contact) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "besok", "body": "x"}, "channel"),
        ({"channel": "epost"}, "body"),
        ({"channel": "epost", "body": "  "}, "body"),
        ({"channel": "epost", "body": "x", "subject": 5}, "subject"),
        ({"channel": "epost", "body": "x" * 100_001}, "body"),
        ({"channel": "epost", "body": "x", "received_at": "igår"}, "received_at"),
        ({"channel": "epost", "body": "x", "received_at": "2999-01-01T00:00:00"}, "received_at"),
        ({"channel": "epost", "body": "x", "office": "NOPE"}, "office"),
        ({"channel": "epost", "body": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_messages_are_refused_by_field(app, world, api, body, field):
    response = api.post("/inbox", json=body)
    assert response.status_code == 422 and field in response.json["fields"]
    assert count(app, InboxMessage) == 0


def test_inbox_access(app, world, api):
    assert (
        api.post("/inbox", json={"channel": "webb", "body": "x"}, as_user="erik").status_code == 403
    )
    k2 = post_message(api, as_user="johan").json["id"]
    assert api.get(f"/inbox/{k2}", as_user="anna").status_code == 404  # another office
    assert api.get(f"/inbox/{k2}", as_user="karin").status_code == 200
    response = api.post(
        "/inbox", json={"channel": "webb", "body": "x", "office": "K2"}, as_user="anna"
    )
    assert response.status_code == 403
    assert api.get("/inbox?status=old").status_code == 422


def test_personnummer_are_masked_on_the_way_in(app, world, api):
    post_message(api, body="Mitt personnummer är 19850101-1236, ring mig.")
    assert "19850101" not in one(app, InboxMessage).body


def test_guide_triages_replies_and_marks_spam_in_the_pages(app, world, api, client, auth):
    first = post_message(api, subject="<script>alert(1)</script>").json["id"]
    second = post_message(api, subject="Öppettider").json["id"]
    third = post_message(api, subject="Köp billigt").json["id"]
    auth.login("anna")
    inbox = client.get("/inkorg/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox and "<script>alert(1)" not in inbox
    page = client.get(f"/inkorg/{first}")
    assert page.status_code == 200 and "<script>alert" not in page.get_data(as_text=True)
    bad = client.post(f"/inkorg/{first}/triage", data={"case_type": "NOPE", "rosa_level": "2"})
    assert bad.status_code == 422 and "Okänd ärendetyp" in bad.get_data(as_text=True)
    client.post(f"/inkorg/{first}/triage", data={"case_type": "PARK", "rosa_level": "2"})
    assert one(app, InboxMessage, InboxMessage.id == first).status == "triaged"
    # A direct reply above the mandate is refused and nothing is written.
    over = client.post(
        f"/inkorg/{second}/svar",
        data={"case_type": "EKB", "rosa_level": "6", "reply": "Ni får bistånd."},
    )
    assert over.status_code == 422 and "över kontorets mandat" in over.get_data(as_text=True)
    assert one(app, InboxMessage, InboxMessage.id == second).status == "new"
    client.post(
        f"/inkorg/{second}/svar",
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Vi har öppet 8–17."},
    )
    answered = one(app, InboxMessage, InboxMessage.id == second)
    assert answered.status == "answered" and answered.reply == "Vi har öppet 8–17."
    assert one(app, Contact, Contact.id == answered.contact_id).outcome == "informerat"
    client.post(f"/inkorg/{third}/skrap")
    assert one(app, InboxMessage, InboxMessage.id == third).status == "spam"
    assert count(app, Contact) == 2  # spam is not a contact
    assert count(app, AuditEvent, AuditEvent.action.like("inbox.%")) == 6
    # The handler of another organisation has no inbox.
    auth.logout()
    auth.login("erik")
    assert client.get("/inkorg/").status_code == 403


def test_letter_is_registered(app, world, client, auth):
    auth.login("anna")
    response = client.post(
        "/inkorg/brev",
        data={
            "sender": "Olle Ek",
            "subject": "Bygglov",
            "body": "Fråga om altan.",
            "received_on": "2026-11-20",
        },
        follow_redirects=True,
    )
    assert "Brevet är registrerat som B-" in response.get_data(as_text=True)
    letter = one(app, InboxMessage)
    assert letter.channel == "brev" and letter.office_id == 1
    future = client.post(
        "/inkorg/brev",
        data={"sender": "X", "subject": "Y", "body": "Z", "received_on": "2999-01-01"},
    )
    assert future.status_code == 422 and "framtiden" in future.get_data(as_text=True)
    assert count(app, InboxMessage) == 1


def test_public_web_form(app, world, client):
    page = client.get("/kontakta-oss")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="website"' in html and "Trafik" in html
    sent = client.post(
        "/kontakta-oss",
        data={"question": "När har ni öppet?", "email": "eva@example.se", "topic": "Trafik"},
        follow_redirects=True,
    )
    text = sent.get_data(as_text=True)
    message = one(app, InboxMessage)
    assert message.receipt in text and message.receipt.startswith("W-")
    assert message.channel == "webb" and message.reply_to == "eva@example.se"
    assert message.topic == "Trafik" and message.source_hash and len(message.source_hash) == 64
    bad = client.post("/kontakta-oss", data={"question": "", "email": "inte-en-adress"})
    assert bad.status_code == 422
    assert "Skriv din fråga." in bad.get_data(as_text=True)
    assert "namn@exempel.se" in bad.get_data(as_text=True)
    huge = client.post("/kontakta-oss", data={"question": "x" * 5001})
    assert huge.status_code == 422 and "högst 5000 tecken" in huge.get_data(as_text=True)
    # The honeypot: a bot gets a receipt page, nothing is stored.
    bot = client.post(
        "/kontakta-oss",
        data={"question": "Köp nu", "website": "http://spam"},
        follow_redirects=True,
    )
    assert bot.status_code == 200 and count(app, InboxMessage) == 1


def test_web_form_rate_limit_per_address(app, world, client):
    app.config["WEB_FORM_LIMIT_PER_HOUR"] = 3
    for i in range(3):
        client.post("/kontakta-oss", data={"question": f"Fråga {i}"})
    limited = client.post("/kontakta-oss", data={"question": "En till"})
    assert limited.status_code == 429 and "Vänta en stund" in limited.get_data(as_text=True)
    other = app.test_client()
    other_address = other.post(
        "/kontakta-oss",
        data={"question": "Från en annan dator"},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert other_address.status_code == 303
    assert count(app, InboxMessage) == 4


def test_web_form_needs_csrf(database_url, world):
    from tests.conftest import make_app

    strict = make_app(database_url, WTF_CSRF_ENABLED=True)
    response = strict.test_client().post("/kontakta-oss", data={"question": "Hej"})
    assert response.status_code == 400
    with strict.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) == 0
        db.session.remove()  # give the connection back before the pool is closed
        db.engine.dispose()


def test_fetch_mail_from_a_folder_skips_duplicates_and_keeps_broken_mail(
    app, world, runner, client, auth
):
    result = runner.invoke(args=["fetch-mail", "--maildir", str(MAIL), "--office", "K2"])
    assert result.exit_code == 0, result.output
    files = sorted(MAIL.glob("*.eml"))
    assert f"created: {len(files)}" in result.output
    again = runner.invoke(args=["fetch-mail", "--maildir", str(MAIL), "--office", "K2"])
    assert "created: 0" in again.output and f"duplicates: {len(files)}" in again.output
    with app.app_context():
        messages = db.session.scalars(sa.select(InboxMessage)).all()
        assert all(m.channel == "epost" and m.office.code == "K2" for m in messages)
        broken = [m for m in messages if m.malformed]
        assert broken and all(m.raw for m in broken) and all(m.problems for m in broken)
        assert not any("<script" in m.body or "SKRIPTTEXT" in m.body for m in messages)
        ids = [m.id for m in messages]
    # Hostile HTML mail shows as text: no script, no event handler, no javascript: link.
    auth.login("karin")
    for message_id in ids:
        page = client.get(f"/inkorg/{message_id}").get_data(as_text=True)
        assert "alert(" not in page and "onerror" not in page and "javascript:" not in page


def test_import_calls(app, world, runner, tmp_path):
    good = tmp_path / "calls.csv"
    good.write_text(
        "time;queue;answered;wait_seconds;talk_seconds\n"
        "2026-11-02 09:00:00;Växel;answered;30;120\n"
        "2026-11-02 09:05:00;Växel;abandoned;95;0\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-calls", str(good)])
    assert result.exit_code == 0, result.output
    assert "created: 2" in result.output
    again = runner.invoke(args=["import-calls", str(good)])
    assert "created: 0" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "time;queue;answered;wait_seconds;talk_seconds\n"
        "2026-11-03 09:00:00;Växel;answered;30;120\n"
        "igår;Växel;kanske;-1;0\n",
        encoding="utf-8",
    )
    refused = runner.invoke(args=["import-calls", str(bad)])
    assert refused.exit_code != 0 and "rad 3" in refused.output
    from frontdesk.models import CallRecord

    assert count(app, CallRecord) == 2
    skipped = runner.invoke(args=["import-calls", str(bad), "--skip-bad"])
    assert skipped.exit_code == 0 and "created: 1" in skipped.output
    assert count(app, CallRecord) == 3


def test_a_contact_from_the_inbox_cannot_be_deleted_at_the_counter(app, world, api, client, auth):
    message_id = post_message(api).json["id"]
    contact_id = api.post(
        f"/inbox/{message_id}/triage", json={"case_type": "PARK", "rosa_level": 1}
    ).json["id"]
    auth.login("anna")
    response = client.post(f"/disk/kontakter/{contact_id}/ta-bort", follow_redirects=True)
    assert response.status_code in (200, 409, 422)
    assert "kommer från inkorgen" in response.get_data(as_text=True)
    assert count(app, Contact) == 1


def _mail(subject: str, *, date: str = "Mon, 16 Nov 2026 09:00:00 +0100", attachment=None) -> bytes:
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = "Eva <eva@example.se>"
    mail["To"] = "kontakt@kommun.se"
    mail["Subject"] = subject
    mail["Date"] = date
    mail["Message-ID"] = f"<{abs(hash(subject))}@example.se>"
    mail.set_content("Hej!")
    if attachment:
        mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=attachment)
    return bytes(mail)


def test_fetch_mail_survives_odd_mail_and_masks_file_names(app, world, runner, tmp_path):
    folder = tmp_path / "post"
    folder.mkdir()
    long_name = "å" * 150 + ".pdf"  # 300 bytes: too long for a file name as it is
    (folder / "1.eml").write_bytes(_mail("Lång bilaga", attachment=long_name))
    (folder / "2.eml").write_bytes(_mail("Framtida", date="Thu, 01 Jan 2099 09:00:00 +0100"))
    (folder / "3.eml").write_bytes(_mail("Pnr", attachment="Ansökan 19850101-1236.pdf"))
    app.config["MAIL_ATTACHMENTS_DIR"] = str(tmp_path / "bilagor")
    result = runner.invoke(args=["fetch-mail", "--maildir", str(folder)])
    assert result.exit_code == 0, result.output
    assert "created: 3" in result.output
    with app.app_context():
        messages = {m.subject: m for m in db.session.scalars(sa.select(InboxMessage))}
        future = messages["Framtida"]
        assert future.received_at.year == utcnow().year and future.malformed
        assert any("orimligt" in p for p in future.problems)
        names = [a["filename"] for a in messages["Pnr"].attachments]
        assert names == ["Ansökan XXXXXX-1236.pdf"]
        stored = list((tmp_path / "bilagor").rglob("*.pdf"))
        assert len(stored) == 2 and not any("19850101" in p.name for p in stored)
    broken = tmp_path / "inte-maildir"
    (broken / "cur").mkdir(parents=True)
    refused = runner.invoke(args=["fetch-mail", "--maildir", str(broken)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "Error:" in refused.output


def test_identical_calls_in_one_export_are_all_kept(app, world, runner, tmp_path):
    from frontdesk.models import CallRecord

    export = tmp_path / "calls.csv"
    export.write_text(
        "time;queue;answered;wait_seconds;talk_seconds\n"
        "2026-11-02 08:15;Växel;abandoned;0;0\n"
        "2026-11-02 08:15;Växel;abandoned;0;0\n"
        "2026-11-02 08:16;Växel;answered;10;60\n",
        encoding="utf-8",
    )
    assert "created: 3" in runner.invoke(args=["import-calls", str(export)]).output
    assert "created: 0" in runner.invoke(args=["import-calls", str(export)]).output
    assert count(app, CallRecord) == 3


def test_letters_before_2000_and_bad_reply_addresses_are_refused(app, world, client, auth, api):
    auth.login("anna")
    old = client.post(
        "/inkorg/brev",
        data={"sender": "X", "subject": "Y", "body": "Z", "received_on": "1800-01-01"},
    )
    assert old.status_code == 422 and "före 2000" in old.get_data(as_text=True)
    bad = api.post("/inbox", json={"channel": "chatt", "body": "Hej", "reply_to": "inte en adress"})
    assert bad.status_code == 422 and "reply_to" in bad.json["fields"]
    assert count(app, InboxMessage) == 0


def test_rate_limit_counts_each_client_behind_a_proxy(database_url, world):
    from tests.conftest import make_app

    proxied = make_app(database_url, PROXY_FIX_X_FOR=1, WEB_FORM_LIMIT_PER_HOUR=1)
    client = proxied.test_client()

    def ask(address):
        return client.post(
            "/kontakta-oss",
            data={"question": "Hej"},
            headers={"X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
        ).status_code

    assert ask("192.0.2.10") == 303
    assert ask("192.0.2.10") == 429
    assert ask("192.0.2.11") == 303  # another citizen behind the same proxy
    assert ask("2001:db8:1:2::1") == 303
    assert ask("2001:db8:1:2::99") == 429  # the same /64
    with proxied.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) == 3
        db.session.remove()
        db.engine.dispose()


def test_page_says_who_was_first(app, world, api, client, auth):
    message_id = post_message(api).json["id"]
    api.post(
        f"/inbox/{message_id}/triage", json={"case_type": "PARK", "rosa_level": 1}, as_user="omar"
    )
    auth.login("anna")
    for action, data in (
        ("triage", {"case_type": "PARK", "rosa_level": "2"}),
        ("svar", {"case_type": "PARK", "rosa_level": "1", "reply": "Hej"}),
        ("skrap", {}),
    ):
        response = client.post(f"/inkorg/{message_id}/{action}", data=data, follow_redirects=True)
        assert "redan hanterat av Omar" in response.get_data(as_text=True)
    assert count(app, Contact) == 1
    assert one(app, InboxMessage).status == "triaged"
