"""The `deliver-mail` command: send what the outbox holds."""

import click
from flask.cli import with_appcontext


@click.command("deliver-mail")
@with_appcontext
@click.option("--once", is_flag=True, help="Try every due mail once and exit.")
def deliver_mail_command(once: bool) -> None:
    """Send the queued mails through SMTP_URL (a service unless --once)."""
    raise click.ClickException("Not built yet.")
