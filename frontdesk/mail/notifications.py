"""Notifications for staff through the outbox: new referrals, and the overdue digest."""

import click
from flask.cli import with_appcontext


@click.command("notify-overdue")
@with_appcontext
def notify_overdue_command() -> None:
    """Queue one digest of overdue referrals to each handler of each organisation."""
    raise click.ClickException("Not built yet.")
