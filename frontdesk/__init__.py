"""Medborgarkontoret: the Flask application."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from frontdesk import config, database, guards, web
from frontdesk.extensions import csrf, db, htmx, migrate

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; tests pass their own config (database URL, secret key)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Flask-WTF's own i18n needs Flask-Babel; off, WTForms uses its Swedish messages (Meta.locales).
    app.config["WTF_I18N_ENABLED"] = False
    if test_config is None:
        app.config.from_mapping(config.from_environment(app.instance_path))
    else:
        app.config.from_mapping(
            WTF_CSRF_TIME_LIMIT=None, SESSION_COOKIE_SAMESITE="Lax", **test_config
        )

    # Defaults the environment or a test may override.
    app.config.setdefault("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)  # event logs of ~300k events
    app.config.setdefault("ROSA_CEILING", 4)  # recommendations never propose above this level
    app.config.setdefault("ROSA_PERIOD_MONTHS", 12)  # history the recommendations read
    app.config.setdefault("WEB_FORM_LIMIT_PER_HOUR", 5)  # questions per client address and hour
    app.config.setdefault("LOGIN_FAILURES_PER_ACCOUNT", 5)
    app.config.setdefault("LOGIN_FAILURES_PER_ADDRESS", 20)
    app.config.setdefault("LOGIN_WINDOW_MINUTES", 15)
    app.config.setdefault("SESSION_IDLE_MINUTES", 60)
    app.config.setdefault("SESSION_LIFETIME_HOURS", 12)

    # Behind a reverse proxy: trust that many X-Forwarded-For/-Proto hops (0: none).
    hops = int(app.config.get("PROXY_FIX_X_FOR", 0))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    web.init_app(app)  # before the database: its log line follows the commit
    database.init_app(app)
    guards.init_app(app)

    from frontdesk import api, auth, errors, mandates, templating
    from frontdesk.admin import views as admin_views
    from frontdesk.api import routes  # noqa: F401  (the operations register on api.bp)
    from frontdesk.backoffice import views as backoffice_views
    from frontdesk.catalog import views as catalog_views
    from frontdesk.channels import views as channels_views
    from frontdesk.cli import register_commands
    from frontdesk.counter import views as counter_views
    from frontdesk.feedback import views as feedback_views
    from frontdesk.inbox import views as inbox_views
    from frontdesk.overview import views as overview_views
    from frontdesk.processes import views as processes_views
    from frontdesk.recommendations import views as recommendations_views
    from frontdesk.staffing import views as staffing_views
    from frontdesk.visitors import views as visitors_views

    templating.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(counter_views.bp)
    app.register_blueprint(backoffice_views.bp)
    app.register_blueprint(mandates.bp)
    app.register_blueprint(recommendations_views.bp)
    app.register_blueprint(processes_views.bp)
    app.register_blueprint(inbox_views.bp)
    app.register_blueprint(inbox_views.public_bp)
    app.register_blueprint(channels_views.bp)
    app.register_blueprint(catalog_views.bp)
    app.register_blueprint(overview_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(visitors_views.bp)
    app.register_blueprint(feedback_views.bp)
    app.register_blueprint(staffing_views.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates each request with a bearer token, not a cookie
    register_commands(app)
    return app
