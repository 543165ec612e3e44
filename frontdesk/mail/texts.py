"""What the app's mails say: plain Swedish, short, with the matter's reference number.

Each function returns (subject, body). No personnummer ever: the outbox masks them
again whatever the source (frontdesk.mail.outbox.enqueue).
"""

from flask import current_app

from frontdesk.feedback.links import feedback_url
from frontdesk.models import Contact, InboxMessage, Office, Referral
from frontdesk.timeutil import to_local

SIGNATURE = "Vänliga hälsningar\n{office}\n\nDet här meddelandet går inte att svara på direkt."


def matter_reference(contact: Contact | None, message: InboxMessage | None = None) -> str:
    """The number a citizen quotes: the inbox receipt, or the contact's number at the desk."""
    if message is not None:
        return message.receipt
    return f"K-{contact.id}" if contact is not None else ""


def _feedback(contact_id: int | None) -> str:
    """The invitation to the three NKI questions, with the citizen's own link."""
    if contact_id is None:
        return ""
    return (
        "Vad tyckte du om vår hjälp? Svara gärna på tre korta frågor, det tar en minut:\n"
        f"{feedback_url(contact_id)}\n\n"
    )


def _signature(office: Office | None) -> str:
    return SIGNATURE.format(office=office.name if office else "Medborgarkontoret")


def answer_to_citizen(
    referral: Referral, answer: str, message: InboxMessage | None
) -> tuple[str, str]:
    """The back office's answer sent straight to the citizen."""
    contact = referral.contact
    reference = matter_reference(contact, message)
    subject = f"Svar på din fråga om {contact.case_type.name.lower()} ({reference})"
    greeting = f"Hej {contact.citizen_name}!" if contact.citizen_name else "Hej!"
    body = (
        f"{greeting}\n\n"
        f"Här är svaret på din fråga om {contact.case_type.name.lower()}.\n\n"
        f"{answer}\n\n"
        f"Ärendenummer: {reference}. Ange det om du hör av dig igen.\n\n"
        f"{_feedback(contact.id)}"
        f"{_signature(contact.office)}\n"
    )
    return subject, body


def reply_to_message(
    message: InboxMessage, reply: str, contact_id: int | None = None
) -> tuple[str, str]:
    """The inbox's direct reply to the sender."""
    subject = f"Svar: {message.subject}" if message.subject else f"Svar ({message.receipt})"
    body = (
        "Hej!\n\n"
        f"{reply}\n\n"
        f"Ärendenummer: {message.receipt}. Ange det om du hör av dig igen.\n\n"
        f"{_feedback(contact_id)}"
        f"{_signature(message.office)}\n"
    )
    return f"{subject} ({message.receipt})" if message.subject else subject, body


def web_form_receipt(message: InboxMessage) -> tuple[str, str]:
    """The web form's receipt: the question arrived, and its number."""
    received = to_local(message.received_at).strftime("%Y-%m-%d %H:%M")
    subject = f"Vi har tagit emot din fråga ({message.receipt})"
    body = (
        "Hej!\n\n"
        f"Tack för din fråga. Vi tog emot den {received} och svarar så snart vi kan, "
        "normalt inom en arbetsdag.\n\n"
        f"Ärendenummer: {message.receipt}. Ange det om du hör av dig igen.\n\n"
        f"{_signature(message.office)}\n"
    )
    return subject, body


def _link(endpoint: str, **values) -> str:
    """An absolute link into the app when APP_URL is set, else nothing."""
    base = current_app.config.get("APP_URL", "").rstrip("/")
    if not base:
        return ""
    # Built without a request (the notify-overdue command runs from a timer).
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def new_referral(
    referral_id: int, case_type: str, office: str, queue: str, due_at
) -> tuple[str, str]:
    """To a handler: a referral arrived in one of their organisation's queues."""
    due = to_local(due_at).strftime("%Y-%m-%d %H:%M")
    link = _link("backoffice.show", referral_id=referral_id)
    subject = f"Ny remiss {referral_id}: {case_type} ({queue})"
    body = (
        "Hej!\n\n"
        f"En ny remiss har kommit till kön {queue}.\n\n"
        f"Remiss: {referral_id}\nÄrendetyp: {case_type}\nFrån: {office}\nSvar senast: {due}\n"
        + (f"\n{link}\n" if link else "")
        + "\nDu får det här meddelandet för att du har valt e-post om nya remisser.\n"
    )
    return subject, body


def overdue_digest(organisation_name: str, referrals: list[Referral]) -> tuple[str, str]:
    """To a handler: the organisation's overdue referrals, one line each."""
    subject = f"{len(referrals)} försenade remisser hos {organisation_name}"
    lines = []
    for referral in referrals:
        due = to_local(referral.due_at).strftime("%Y-%m-%d %H:%M")
        holder = referral.claimed_by.name if referral.claimed_by else "ingen har tagit den"
        lines.append(
            f"- Remiss {referral.id}, {referral.contact.case_type.name}, kö {referral.queue.name},"
            f" svar senast {due} ({holder})"
        )
    link = _link("backoffice.index", overdue="1")
    body = (
        "Hej!\n\n"
        f"De här remisserna hos {organisation_name} har passerat sin svarstid:\n\n"
        + "\n".join(lines)
        + "\n"
        + (f"\n{link}\n" if link else "")
    )
    return subject, body


def password_reset(name: str, url: str) -> tuple[str, str]:
    """To a staff member: an admin's link to choose a (new) password."""
    subject = "Välj lösenord till Medborgarkontoret"
    body = (
        f"Hej {name}!\n\n"
        "En administratör har skickat dig en länk för att välja ett nytt lösenord till "
        "Medborgarkontoret:\n\n"
        f"{url}\n\n"
        "Länken fungerar en gång och bara en begränsad tid. Om du inte väntade dig det här "
        "brevet: kontakta administratören och använd inte länken.\n"
    )
    return subject, body
