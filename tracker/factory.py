"""The application factory: `create_app` builds the Flask application."""
import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import INSTANCE_DIR, ProductionConfig, config_from_env
from tracker.extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None, **overrides):
    """Build the app from a config class (default: chosen by TRACKER_CONFIG) plus overrides."""
    config = config or config_from_env()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config)
    app.config.update(overrides)
    # Operational messages (a mail written to the log without a MAIL_SERVER, a failed send) are
    # INFO and WARNING: keep them visible, not only with the debugger on.
    app.logger.setLevel(logging.INFO)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A writer waits this long for another's write lock (bookings serialise on it) before failing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "connect_args": {"timeout": 30}}
    if issubclass(config, ProductionConfig):
        config.check(app.config)
    from tracker.coding import clinic_diagnosis_codes

    clinic_diagnosis_codes(app.config["DIAGNOSIS_CODES"])  # a bad clinic code stops start-up
    from tracker.contact import parse_quiet_hours

    parse_quiet_hours(app.config["REMINDER_QUIET_HOURS"])  # and so do quiet hours that are not two times
    INSTANCE_DIR.mkdir(exist_ok=True)

    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_template_helpers(app)

    from tracker import api, cli, errors, i18n, inputs, ratelimit, redaction, security

    i18n.init_app(app)
    ratelimit.init_app(app)
    inputs.init_app(app)
    redaction.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    api.init_app(app)
    return app


def register_extensions(app):
    from tracker import models  # noqa: F401  (registers the tables before Migrate looks)
    from tracker.cases import counts, rows  # noqa: F401  (keep per-state counts and worklist lines on every flush)
    from tracker.transactions import end_read_only_transaction

    db.init_app(app)
    # Runs before Flask-SQLAlchemy closes the session (teardowns run last registered first).
    app.teardown_appcontext(end_read_only_transaction)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)


def register_converters(app):
    from werkzeug.routing import IntegerConverter

    from tracker.formfields import INT_MAX

    class BoundedIntConverter(IntegerConverter):
        """`<int:...>` in every route: an id beyond the database's integer range matches no
        route (404) instead of failing in the database."""

        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", INT_MAX)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = BoundedIntConverter


def register_blueprints(app):
    from tracker.admin.views import bp as admin_bp
    from tracker.api.admin_views import bp as api_tokens_bp
    from tracker.api.views import bp as api_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.cases.views import bp as cases_bp
    from tracker.diary.outcome_views import bp as outcome_bp
    from tracker.diary.overdue_views import bp as overdue_bp
    from tracker.diary.views import bp as diary_bp
    from tracker.eligibility.views import bp as eligibility_bp
    from tracker.fhir.views import bp as fhir_bp
    from tracker.patient_link.views import bp as patient_link_bp
    from tracker.patient_accounts.views import bp as patient_accounts_bp
    from tracker.sms_views import bp as sms_bp
    from tracker.patient_portal.views import bp as patient_bp
    from tracker.patients.views import bp as patients_bp
    from tracker.procedures.views import bp as procedures_bp
    from tracker.referrals.views import bp as referrals_bp
    from tracker.reports.views import bp as reports_bp
    from tracker.review.views import bp as review_bp
    from tracker.scheduling.views import bp as scheduling_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(cases_bp, url_prefix="/cases")
    app.register_blueprint(referrals_bp, url_prefix="/referrals")
    app.register_blueprint(review_bp, url_prefix="/cases")
    app.register_blueprint(eligibility_bp, url_prefix="/cases")
    app.register_blueprint(scheduling_bp)
    app.register_blueprint(procedures_bp)
    app.register_blueprint(overdue_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(patient_bp, url_prefix="/my")
    app.register_blueprint(patients_bp)
    app.register_blueprint(patient_link_bp)
    app.register_blueprint(patient_accounts_bp)
    app.register_blueprint(sms_bp)
    # Its routes span two surfaces (/my/... and /cases/...): full paths, no prefix.
    app.register_blueprint(diary_bp)
    app.register_blueprint(outcome_bp)
    # Other systems' doors: tokens, never sessions (tracker/api/auth.py).
    app.register_blueprint(api_tokens_bp, url_prefix="/admin/api-tokens")
    app.register_blueprint(fhir_bp, url_prefix="/fhir")
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def _premedication_at_table(appointment):
    """scheduling.services.premedication_at_table, imported when a page asks."""
    from tracker.scheduling.services import premedication_at_table
    return premedication_at_table(appointment)


def _premedication_on_record(appointment):
    """scheduling.services.premedication_on_record, imported when a page asks."""
    from tracker.scheduling.services import premedication_on_record
    return premedication_on_record(appointment)


def _hold_at_table(appointment, record=None):
    """scheduling.services.hold_at_table, imported when a page asks (the services need the app)."""
    from tracker.scheduling.services import hold_at_table
    return hold_at_table(appointment, record)


def _hold_plan_words(risk):
    """scheduling.board.hold_plan_words, imported when a page asks."""
    from tracker.scheduling.board import hold_plan_words
    return hold_plan_words(risk)


def _risk_screens_elsewhere(case):
    """cases.services.risk_screens_elsewhere, imported when a page asks."""
    from tracker.cases.services import risk_screens_elsewhere
    return risk_screens_elsewhere(case)


def _profile_name(code):
    """A payer profile's name for people ("eviCore / Cigna CMM-203"), not its code."""
    from tracker.policy import PROFILES

    profile = PROFILES.get(code)
    return profile.name if profile else code


def _therapy_kind_label(kind):
    """A conservative-care kind in words ("physical therapy"), as the profiles list them."""
    from tracker.vocab import TherapyKind

    return TherapyKind(kind).label.lower()


def register_template_helpers(app):
    """What templates may ask: the routes' own declarations (`may`), the transition table
    (`may_move`, `state_allows`) and the named state sets, so a page never restates a rule."""
    from flask_login import current_user

    from tracker import audit, contact, i18n, phones, sms, timeutil, workflow
    from tracker.clinic import clinic_contact
    from tracker.access import may
    from tracker.formfields import length_hint
    from tracker.navigation import main_links
    from tracker.policy.engine import Status as CriterionStatus
    from tracker.security import idle_seconds_left
    from tracker.diary.services import ENTRY_STATES, LINK_STATES
    from tracker.vocab import (MESSAGE_TO_RESEND, NOT_STARTED, AppointmentStatus, allergy_words, anticoagulant_words,
                               decision_flags, diabetes_words, pregnancy_words)

    app.jinja_env.filters["clinic_time"] = timeutil.format_clinic
    app.jinja_env.filters["clinic_day_time"] = timeutil.format_clinic_short
    # A diary window's opening, on the staff pages as on the patient's ("from …"): its first whole minute.
    app.jinja_env.filters["opening_minute"] = i18n.opening_minute
    app.jinja_env.filters["phone"] = phones.display
    app.jinja_env.globals["sms_stop"] = sms.opted_out
    app.jinja_env.globals["contact_channel"] = contact.channel_for
    app.jinja_env.globals["texts_impossible"] = contact.texts_impossible
    app.jinja_env.globals["unreachable"] = contact.unreachable
    app.jinja_env.globals["contact_ended_words"] = contact.contact_ended_words
    app.jinja_env.globals["contact_ended_mark_of"] = contact.contact_ended_mark_of
    app.jinja_env.globals["appointment_contact_ended_of"] = contact.appointment_contact_ended_of
    app.jinja_env.globals["clinic_contact"] = clinic_contact
    app.jinja_env.globals["start_day_words"] = timeutil.start_day_words
    app.jinja_env.filters["profile_name"] = _profile_name
    # An audit row's changes in words, as the audit page and its CSV download both write them.
    app.jinja_env.globals["audit_change"] = audit.change_words
    app.jinja_env.globals.update(
        may=may, main_links=main_links, idle_seconds_left=idle_seconds_left, allergy_words=allergy_words, anticoagulant_words=anticoagulant_words,
        pregnancy_words=pregnancy_words, decision_flags=decision_flags,
        diabetes_words=diabetes_words, hold_at_table=_hold_at_table, hold_plan_words=_hold_plan_words, premedication_at_table=_premedication_at_table, premedication_on_record=_premedication_on_record, risk_screens_elsewhere=_risk_screens_elsewhere,
        may_move=lambda case, action: workflow.open_to(case.state, action, current_user.role),
        state_allows=lambda case, action: workflow.open_to(case.state, action),
        BEFORE_PROCEDURE=workflow.BEFORE_PROCEDURE, BEFORE_VERDICT=workflow.BEFORE_VERDICT,
        BEFORE_BOOKING=workflow.BEFORE_BOOKING, FROM_BOOKING=workflow.FROM_BOOKING,
        AFTER_PROCEDURE=workflow.AFTER_PROCEDURE, CLEARED_FOR_PROCEDURE=workflow.CLEARED_FOR_PROCEDURE,
        FINAL_STATES=workflow.FINAL_STATES, REFERRAL_NOTES_ONLY=workflow.REFERRAL_NOTES_ONLY,
        ENTRY_STATES=ENTRY_STATES, LINK_STATES=LINK_STATES,
        NOT_STARTED=NOT_STARTED, MESSAGE_TO_RESEND=MESSAGE_TO_RESEND, AppointmentStatus=AppointmentStatus,
        CriterionStatus=CriterionStatus,
    )
    app.jinja_env.filters["therapy_kind_label"] = _therapy_kind_label
    app.jinja_env.globals["length_hint"] = length_hint

    @app.context_processor
    def clinic():
        return {"clinic_name": app.config["CLINIC_NAME"]}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite ignores foreign keys unless asked on every connection. Its LIKE is case-blind and
    so cannot use an index; the columns searched with LIKE hold lowercased keys, so a
    case-sensitive LIKE gives the same answers and lets the index serve prefix searches."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()
