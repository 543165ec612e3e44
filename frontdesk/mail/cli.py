"""The `deliver-mail` command: send what the outbox holds.

As a service (the default) it runs `deliver_due` every MAIL_POLL_SECONDS until SIGTERM
or SIGINT, which it waits for between two mails, so a stop never leaves a mail half
sent. A database or server error is logged and the next round tries again.
"""

import logging
import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from frontdesk.extensions import db
from frontdesk.mail.delivery import (
    DeliveryConfigError,
    RequeueError,
    deliver_due,
    requeue,
    smtp_settings,
)

log = logging.getLogger("frontdesk.mail")

DEFAULT_POLL_SECONDS = 10
EXIT_NOT_CONFIGURED = 2


@click.command("deliver-mail")
@click.option("--once", is_flag=True, help="Try every due mail once and exit.")
@click.option(
    "--requeue",
    "requeue_ids",
    type=int,
    multiple=True,
    metavar="ID",
    help="Put a failed or uncertain mail back in the queue (repeatable) and exit.",
)
@with_appcontext
def deliver_mail_command(once: bool, requeue_ids: tuple[int, ...]) -> None:
    """Send the queued mails through SMTP_URL (a service unless --once)."""
    if requeue_ids:
        _requeue(requeue_ids)
        return
    try:
        configured = smtp_settings() is not None
    except DeliveryConfigError as error:
        raise click.ClickException(str(error)) from None
    if once:
        _once()
    else:
        _serve(configured)


def _requeue(mail_ids: tuple[int, ...]) -> None:
    problems = 0
    for mail_id in mail_ids:
        try:
            previous = requeue(mail_id)
            db.session.commit()
        except RequeueError as error:
            db.session.rollback()
            click.echo(str(error), err=True)
            problems += 1
            continue
        click.echo(
            f"Brev {mail_id} (var ”{previous.label}”) ligger i utkorgen igen "
            "och skickas vid nästa körning."
        )
    if problems:
        sys.exit(1)


def _once() -> None:
    report = deliver_due()
    click.echo(report.summary())
    for error in report.errors:
        click.echo(f"Fel: {error}", err=True)
    if not report.configured:
        sys.exit(EXIT_NOT_CONFIGURED)
    if not report.ok:
        sys.exit(1)


def _serve(configured: bool) -> None:
    poll = int(current_app.config.get("MAIL_POLL_SECONDS", DEFAULT_POLL_SECONDS))
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s deliver-mail: %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)

    stop = threading.Event()
    previous_handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous_handlers[signum] = signal.signal(signum, lambda *_: stop.set())

    if configured:
        log.info("Skickar utkorgens brev var %s:e sekund.", poll)
    else:
        log.warning(
            "SMTP_URL är inte satt: breven stannar i utkorgen tills en server anges "
            "(kontrollerar var %s:e sekund).",
            poll,
        )
    try:
        while not stop.is_set():
            try:
                report = deliver_due(stop=stop)
                if report.anything:
                    log.info(report.summary())
            except Exception:  # noqa: BLE001  (a service goes on: database or server down)
                log.exception("Utskicket avbröts; försöker igen om %s s.", poll)
                try:
                    db.session.rollback()
                except Exception:  # noqa: BLE001
                    log.debug("Rollback failed", exc_info=True)
            finally:
                db.session.remove()
            stop.wait(poll)
    finally:
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
    log.info("Stoppad.")
