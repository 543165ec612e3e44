"""Command-line commands: flask --app frontdesk COMMAND."""

import json
import secrets
import sys
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from frontdesk.audit import record
from frontdesk.auth.passwords import password_problem
from frontdesk.backup import BackupError, create_backup
from frontdesk.catalog import CatalogError, export_catalog, import_catalog
from frontdesk.demo.seed import seed_demo
from frontdesk.extensions import db
from frontdesk.history import import_contacts
from frontdesk.inbox.intake import (
    MailResult,
    save_attachments,
    store_calls,
    store_mail,
    store_unreadable,
)
from frontdesk.models import ApiToken, Office, Organisation, User
from frontdesk.models.user import TOKEN_DAYS_DEFAULT, TOKEN_DAYS_MAX, hash_token, token_expiry
from frontdesk.retention import (
    DEFAULT_RETENTION_MONTHS,
    MAX_RETENTION_MONTHS,
    purge,
    remove_folders,
)
from frontdesk.roles import Role
from frontdesk.tallies import rebuild as rebuild_tallies
from frontdesk.timeutil import LOCAL_TZ, to_local, utcnow
from kanaler.calls import parse_calls
from kanaler.citizen import ContactDetailError, normalise_email
from kanaler.mailbox import ImapMailbox, MailboxError, read_maildir
from rosa import OUTCOMES

LABEL_MAX = 100  # ApiToken.name


@click.command("seed-demo")
@with_appcontext
@click.option(
    "--contacts", "contact_count", default=60_000, show_default=True, type=click.IntRange(0)
)
def seed_demo_command(contact_count: int) -> None:
    """Load the demo municipality (idempotent): catalogue, users, 12 months of contacts."""
    started = time.perf_counter()
    result = seed_demo(contact_count)
    db.session.commit()
    elapsed = time.perf_counter() - started
    for key, value in result.items():
        click.echo(f"{key}: {value}")
    click.echo(f"seconds: {elapsed:.1f}")


@click.command("import-catalog")
@with_appcontext
@click.argument("file", type=click.File("rb"))
def import_catalog_command(file) -> None:
    """Load a municipality's catalogue from JSON; a file with errors changes nothing."""
    try:
        data = json.loads(file.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"Filen är inte giltig JSON: {error}") from error
    try:
        counts = import_catalog(data)
    except CatalogError as error:
        db.session.rollback()
        for line in error.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(error.errors)} fel; ingenting ändrades.") from error
    db.session.commit()
    click.echo(
        f"Skapade {counts['created']}, uppdaterade {counts['updated']}, "
        f"ändrade mandat {counts['mandates_changed']}."
    )


@click.command("export-catalog")
@with_appcontext
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def export_catalog_command(file) -> None:
    """Write the catalogue as JSON (to FILE, or standard output)."""
    json.dump(export_catalog(), file, ensure_ascii=False, indent=2)
    file.write("\n")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--office",
    "office_codes",
    multiple=True,
    help="Kontorets kod (samhällsvägledare). En chef kan få flera: den första är hemkontoret.",
)
@click.option("--org", "org_code", help="Organisationens kod (handläggare).")
@click.option("--name", "display_name", default="", help="Namn som visas.")
@click.option("--email", default=None, help="E-postadress för aviseringar.")
@click.option(
    "--notify-new-referrals/--no-notify-new-referrals",
    default=None,
    help="E-post när en remiss kommer till organisationens köer (handläggare).",
)
@click.option("--password-stdin", is_flag=True, help="Läs lösenordet från standard in.")
def create_user_command(
    username,
    role,
    office_codes,
    org_code,
    display_name,
    email,
    notify_new_referrals,
    password_stdin,
):
    """Create a staff account (or reset its password and role if it exists).

    A chef manages the offices given with --office (the first is the home office).
    """
    office = organisation = None
    offices = []
    if email is not None:
        try:
            email = normalise_email(email)
        except ContactDetailError as error:
            raise click.BadParameter(str(error), param_hint="--email") from error
    for office_code in dict.fromkeys(office_codes):  # in order, each once
        found = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        if found is None:
            raise click.BadParameter(f"okänt kontor {office_code}", param_hint="--office")
        offices.append(found)
    if len(offices) > 1 and role != Role.CHEF:
        raise click.BadParameter("bara en chef kan ha flera kontor", param_hint="--office")
    office = offices[0] if offices else None
    if org_code:
        organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.code == org_code)
        )
        if organisation is None:
            raise click.BadParameter(f"okänd organisation {org_code}", param_hint="--org")
    if role == Role.VAGLEDARE and office is None:
        raise click.BadParameter("en samhällsvägledare behöver --office", param_hint="--office")
    if role == Role.HANDLAGGARE and organisation is None:
        raise click.BadParameter("en handläggare behöver --org", param_hint="--org")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Lösenord", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, username, display_name)
    if problem:
        raise click.BadParameter(problem, param_hint="password")
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        user = User(username=username)
        db.session.add(user)
    user.role = role
    user.office = office
    user.organisation = organisation
    user.managed_offices = offices if role == Role.CHEF else []
    user.display_name = display_name or user.display_name or username
    if email is not None:
        user.email = email
    if notify_new_referrals is not None:
        if notify_new_referrals and not user.email:
            raise click.BadParameter("aviseringar kräver --email", param_hint="--email")
        user.notify_new_referrals = notify_new_referrals
    user.set_password(password)
    db.session.commit()
    click.echo(f"Användaren {username} ({role}) är sparad.")


@click.command("create-token")
@with_appcontext
@click.argument("username")
@click.option(
    "--label", default="", help="Vad nyckeln används till (högst 100 tecken).", metavar="TEXT"
)
@click.option(
    "--days",
    default=TOKEN_DAYS_DEFAULT,
    show_default=True,
    type=click.IntRange(1, TOKEN_DAYS_MAX),
    help="Hur många dagar nyckeln gäller.",
)
def create_token_command(username: str, label: str, days: int) -> None:
    """Print a new API token acting as USERNAME (shown once; only its hash is kept).

    The token is refused from DAYS days on; the expiry goes to standard error, so that
    standard output is the token alone.
    """
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise click.BadParameter(f"högst {LABEL_MAX} tecken", param_hint="--label")
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"okänd användare {username}", param_hint="USERNAME")
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user=user, name=label, token_hash=hash_token(token), expires_at=token_expiry(days)
    )
    db.session.add(row)
    db.session.flush()
    record("api_token.created", "user", user.id, None, token=row.id, label=label, days=days)
    db.session.commit()
    click.echo(token)
    click.echo(f"Gäller till {to_local(row.expires_at):%Y-%m-%d %H:%M}.", err=True)


@click.command("revoke-tokens")
@with_appcontext
@click.argument("username")
def revoke_tokens_command(username: str) -> None:
    """Revoke every API token of USERNAME (a lost laptop, a person who left)."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"okänd användare {username}", param_hint="USERNAME")
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = utcnow()
    record("api_tokens.revoked", "user", user.id, None, count=len(tokens))
    db.session.commit()
    click.echo(f"Återkallade {len(tokens)} nycklar för {username}.")


def _mail_office(code: str | None) -> Office:
    code = code or current_app.config.get("MAIL_OFFICE")
    query = sa.select(Office).order_by(Office.code)
    if code:
        query = query.where(Office.code == code)
    office = db.session.scalar(query)
    if office is None:
        raise click.ClickException(f"Okänt kontor: {code}" if code else "Det finns inget kontor.")
    return office


@click.command("fetch-mail")
@click.option(
    "--maildir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Read a Maildir folder (or a folder of .eml files) instead of IMAP.",
)
@click.option("--office", "office_code", default=None, help="Office whose inbox gets the mail.")
@with_appcontext
def fetch_mail_command(maildir, office_code) -> None:
    """Read e-mail into the inbox (IMAP from configuration, or --maildir)."""
    office = _mail_office(office_code)
    result = MailResult()
    attachments_dir = current_app.config.get("MAIL_ATTACHMENTS_DIR", "")

    def take(raw: bytes) -> None:
        # Each message on its own transaction: one that cannot be handled is kept raw
        # and flagged, and the ones after it still come in.
        try:
            message = store_mail(raw, office, result)
            db.session.commit()
        except Exception as error:  # noqa: BLE001  (any failure: keep the mail, go on)
            db.session.rollback()
            store_unreadable(raw, office, result, error)
            db.session.commit()
            message = None
        if message is not None and attachments_dir and message.attachments:
            try:
                save_attachments(message, raw, attachments_dir)
            except OSError as error:
                click.echo(f"{message.receipt}: bilagorna kunde inte sparas ({error})", err=True)

    try:
        if maildir:
            for _key, raw in read_maildir(maildir):
                take(raw)
        else:
            config = current_app.config
            if not config.get("MAIL_IMAP_HOST"):
                raise click.ClickException("Ange MAIL_IMAP_HOST (eller --maildir).")
            with ImapMailbox(
                config["MAIL_IMAP_HOST"],
                config.get("MAIL_IMAP_PORT"),
                config.get("MAIL_IMAP_USER", ""),
                config.get("MAIL_IMAP_PASSWORD", ""),
                mailbox=config.get("MAIL_IMAP_MAILBOX", "INBOX"),
                security=config.get("MAIL_IMAP_SECURITY", "ssl"),
            ) as mailbox:
                for uid, raw in mailbox.messages():
                    take(raw)
                    # Marked read only once stored: a crash in between fetches it again.
                    mailbox.mark_seen(uid)
    except MailboxError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"created: {result.created}\nduplicates: {result.duplicates}\nmalformed: {result.malformed}"
    )


@click.command("import-calls")
@click.argument("file", type=click.File("rb"))
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some are bad.")
@with_appcontext
def import_calls_command(file, skip_bad: bool) -> None:
    """Import call records (time, queue, answered, wait and talk seconds) from a CSV export."""
    parsed = parse_calls(file)
    for line, message in parsed.errors[:100]:
        click.echo(f"rad {line}: {message}", err=True)
    if len(parsed.errors) > 100:
        click.echo(f"... och {len(parsed.errors) - 100} fel till", err=True)
    if parsed.errors and not skip_bad:
        raise click.ClickException(
            f"{len(parsed.errors)} fel; inget importerades (--skip-bad importerar de felfria raderna)."
        )
    created = store_calls(parsed.records)
    db.session.commit()
    click.echo(
        f"calls: {len(parsed.records)}\ncreated: {created}\nskipped_bad: {len(parsed.errors)}"
    )


@click.command("import-contacts")
@click.argument("file", type=click.File("rb"))
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some are bad.")
@click.option("--dry-run", is_flag=True, help="Check and route every row; write nothing.")
@with_appcontext
def import_contacts_command(file, skip_bad: bool, dry_run: bool) -> None:
    """Import contact history from a previous system (CSV, UTF-8, comma separated).

    Columns, in any order: occurred_at, office, channel, case_type, rosa_level; optional
    outcome, duration_seconds, repeat; other columns are ignored (the app's own contact
    export imports unchanged). A time without UTC offset is Stockholm time. A row without
    an outcome is routed by the office's mandate for the case type at that time.

    Imported contacts never create referrals: they are statistics of closed matters. With
    any bad row nothing is imported, unless --skip-bad is given.
    """
    try:
        result = import_contacts(file, file.name, skip_bad=skip_bad, dry_run=dry_run)
    except Exception:
        db.session.rollback()
        raise
    # Rows may have been written before a later row turned out bad: all or nothing.
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    for line, column, message in result.errors[:100]:
        where = f"rad {line}, {column}" if column else f"rad {line}"
        click.echo(f"{where}: {message}", err=True)
    unlisted = len(result.errors[100:]) + result.unlisted_errors
    if unlisted:
        click.echo(f"... och {unlisted} fel till", err=True)
    click.echo(f"Lästa rader: {result.rows}")
    if result.refused:
        click.echo(f"Felaktiga rader: {result.bad}")
        if result.unreadable:
            raise click.ClickException("Filen kunde inte läsas. Inget importerades.")
        errors = len(result.errors) + result.unlisted_errors
        raise click.ClickException(
            f"{errors} fel på {result.bad} {'rad' if result.bad == 1 else 'rader'}. "
            "Inget importerades. "
            "(--skip-bad importerar de felfria raderna.)"
        )
    if dry_run:
        click.echo(f"Skulle importeras: {result.valid}")
    else:
        click.echo(f"Importerade: {result.imported}")
    click.echo(f"Överhoppade: {result.bad}")
    by_outcome = ", ".join(f"{outcome} {result.by_outcome[outcome]}" for outcome in OUTCOMES)
    click.echo(f"Per utfall: {by_outcome}")
    if dry_run:
        click.echo("Provkörning: inget sparades.")


@click.command("rebuild-tallies")
@with_appcontext
def rebuild_tallies_command() -> None:
    """Recount the contact tallies (staircase, recommendations, overview) from the contacts."""
    rows = rebuild_tallies()
    db.session.commit()
    for table, count in rows.items():
        click.echo(f"{table}: {count}")


def _retention_months(_ctx, _param, value: str) -> int:
    try:
        months = int(value)
    except ValueError:
        months = 0
    if not 1 <= months <= MAX_RETENTION_MONTHS:
        raise click.BadParameter(
            f"ange ett helt antal månader, 1–{MAX_RETENTION_MONTHS} (fick ”{value}”)"
        )
    return months


PURGE_LABELS = {
    "contact_notes": "Anteckningar på kontakter",
    "citizen_details": "Kontakter med medborgarens namn, telefon, e-post eller fråga",
    "referral_texts": "Remisser med svar eller parkeringsorsak",
    "inbox_messages": "Inkorgsmeddelanden (avsändare, adress, ämne, text, svar, bilagor)",
    "mails": "Utgående e-post (mottagare, ämne, text)",
    "audit_events": "Händelser i granskningsloggen med fritext",
    "feedback_comments": "Kommentarer i medborgarnas NKI-svar",
    "attachment_folders": "Bilagemappar på disk",
}


@click.command("purge")
@click.option(
    "--older-than",
    "months",
    default=str(DEFAULT_RETENTION_MONTHS),
    show_default=True,
    callback=_retention_months,
    metavar="MONTHS",
    help="Remove the free text of matters closed more than this many months ago.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@with_appcontext
def purge_command(months: int, dry_run: bool) -> None:
    """Remove free text, addresses and answers of closed matters older than the limit.

    Contacts, referrals, messages and every count stay, so statistics do not change;
    open matters are never touched. One transaction and one audit event.
    """
    try:
        result = purge(
            months,
            dry_run=dry_run,
            attachments_dir=current_app.config.get("MAIL_ATTACHMENTS_DIR") or None,
        )
    except Exception:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    cutoff_day = result.cutoff.astimezone(LOCAL_TZ).date().isoformat()
    click.echo(f"Ärenden avslutade före {cutoff_day} ({months} månader)")
    for key, count in result.counts().items():
        click.echo(f"{PURGE_LABELS[key]}: {count}")
    if dry_run:
        click.echo("Provkörning: inget ändrades.")
        return
    failed = remove_folders(result.folders)
    for folder, error in failed:
        click.echo(f"{folder}: kunde inte tas bort ({error})", err=True)
    if failed:
        raise click.ClickException(
            f"{len(failed)} bilagemappar kunde inte tas bort; kör kommandot igen."
        )


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@click.option("--pg-dump", "pg_dump", default=None, help="The pg_dump program (PostgreSQL).")
@with_appcontext
def backup_command(dest: Path, force: bool, pg_dump: str | None) -> None:
    """Back up the database to DEST while the app runs (SQLite copy, or pg_dump custom format)."""
    try:
        backup = create_backup(dest, force=force, pg_dump=pg_dump)
    except BackupError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Säkerhetskopia sparad: {backup.path} ({backup.size} byte, {backup.method})")


def register_commands(app: Flask) -> None:
    from frontdesk.mail.cli import deliver_mail_command
    from frontdesk.mail.notifications import notify_overdue_command

    for command in (
        deliver_mail_command,
        notify_overdue_command,
        seed_demo_command,
        rebuild_tallies_command,
        purge_command,
        fetch_mail_command,
        import_calls_command,
        import_contacts_command,
        import_catalog_command,
        export_catalog_command,
        create_user_command,
        create_token_command,
        revoke_tokens_command,
        backup_command,
    ):
        app.cli.add_command(command)
