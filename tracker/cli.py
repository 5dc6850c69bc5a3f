"""Command-line tasks: `flask users create`, `flask demo seed` and `flask demo reset`, and the cron
jobs `flask appointments mark-no-shows` and `flask reminders send`. Safe to re-run."""
import click
from flask import current_app
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from tracker.passwords import password_problems
from tracker.refusals import FieldError
from tracker.roles import Role

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the tracker.")
appointments_cli = AppGroup("appointments", help="Scheduled jobs for appointments.")
reminders_cli = AppGroup("reminders", help="Scheduled jobs for the pain diary's reminders.")
worklist_cli = AppGroup("worklist", help="Scheduled jobs that keep the worklist fast.")


audit_cli = AppGroup("audit", help="The audit trail's hash chain (tamper evidence).")
backup_cli = AppGroup("backup", help="Back up the database to a file, or restore one.")


@users_cli.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help="admin, coordinator, physician or patient")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--mrn", default=None, help="The patient's medical record number (patient accounts).")
@click.option("--password", default=None,
              help="For scripts; if left out, the password is asked for and not echoed.")
def create_user_command(role, email, name, mrn, password):
    """Create an account."""
    from tracker.admin.services import AccountNameDiffers, create_user

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(f"Not a valid email address: {error}", param_hint="--email")
    if not name.strip():
        raise click.BadParameter("Give the person's name.", param_hint="--name")
    if role == Role.PATIENT.value and not (mrn or "").strip():
        raise click.BadParameter("A patient account needs the patient's medical record number.",
                                 param_hint="--mrn")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = password_problems(password, current_app.config["PASSWORD_MIN_LENGTH"], email)
    if problems:
        raise click.BadParameter(" ".join(problems), param_hint="--password")
    try:
        user = create_user(email, name, role, password, patient_mrn=mrn)
    except AccountNameDiffers as error:
        raise click.BadParameter(f"{error.message} Check the number; if the account is for that patient, give "
                                 f"--name as on the record (or make the account on the Users page, where an admin "
                                 f"can confirm it).", param_hint="--mrn") from None
    except FieldError as error:
        hint = {"patient_mrn": "--mrn"}.get(error.field, f"--{error.field}")
        raise click.BadParameter(error.message, param_hint=hint) from None
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@demo_cli.command("seed")
def seed_command():
    """Add demo users and about 20 demo cases (idempotent)."""
    from tracker.demo import seed

    _refuse_demo_in_production()
    created = seed()
    click.echo(f"Demo data ready ({created['users']} users and {created['cases']} cases added).")


@demo_cli.command("reset")
@click.option("--force", is_flag=True, help="Also when the database holds data that is not the demo's "
                                            "(it is deleted with everything else).")
def reset_command(force):
    """Rebuild the database and seed the demo afresh (its dates relative to today). Refuses on a
    database with data that is not the demo's unless --force."""
    from tracker.demo import DemoRefused, reset

    _refuse_demo_in_production()
    try:
        created = reset(force=force)
    except DemoRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Demo database rebuilt ({created['users']} users and {created['cases']} cases added).")


def _refuse_demo_in_production():
    if not current_app.config["DEMO_COMMANDS"]:
        raise click.ClickException("The demo accounts' passwords are published in the README: `flask demo` is not "
                                   "in production (TRACKER_CONFIG=production). Create accounts with `flask users "
                                   "create`.")


@appointments_cli.command("mark-no-shows")
def mark_no_shows_command():
    """Mark booked appointments never checked in, NO_SHOW_GRACE_MINUTES after their start, as
    no-shows (safe to run from cron; repeats change nothing)."""
    from tracker.scheduling.services import mark_no_shows

    marked, failed = mark_no_shows()
    click.echo(f"{marked} appointment(s) marked as no-show.")
    if failed:
        # A non-zero exit makes cron report it; the others were marked all the same.
        click.echo(f"{len(failed)} could not be marked (appointment {', '.join(map(str, failed))}); "
                   "see the log.", err=True)
        raise SystemExit(1)


@reminders_cli.command("send")
def send_reminders_command():
    """Send every due diary reminder and appointment message (reminders before it, updates,
    cancellations), each exactly once, by email or text (safe to run from cron every few minutes,
    also two at a time)."""
    from tracker.contact import quiet_until
    from tracker.diary.reminders import send_due
    from tracker.scheduling import reminders as appointment_messages
    from tracker.timeutil import to_clinic, utcnow

    quiet_end = quiet_until(utcnow())
    if quiet_end is not None:
        # Else a run in the night (or the demo's morning) says "0 sent" with no word of why.
        click.echo(f"Quiet hours (REMINDER_QUIET_HOURS {current_app.config['REMINDER_QUIET_HOURS']}) until "
                   f"{to_clinic(quiet_end):%H:%M} clinic time ({current_app.config['CLINIC_TIMEZONE']}): messages "
                   "due now wait until then, unless they would be of no use by then.")
    counts = send_due()
    click.echo(f"{counts.sent} reminder(s) sent in {counts.emails} email(s) and {counts.texts} text(s), "
               f"{counts.skipped} skipped "
               f"(entered, closed or unreachable meanwhile), {counts.taken} taken by another run.")
    appointments = appointment_messages.send_due()
    click.echo(f"{appointments.sent} appointment message(s) sent, {appointments.skipped} skipped (moved or "
               f"cancelled meanwhile), {appointments.taken} taken by another run.")
    if counts.failed or appointments.failed:
        # A non-zero exit makes cron report it; each failed attempt counts towards the cap.
        if counts.failed:
            click.echo(f"{counts.failed} reminder(s) failed (case {', '.join(map(str, counts.failed_cases))}): "
                       "the mail server did not accept them; see the log.", err=True)
        if appointments.failed:
            click.echo(f"{appointments.failed} appointment message(s) failed: see the appointment pages "
                       "and the log.", err=True)
        raise SystemExit(1)


@worklist_cli.command("refresh")
@click.option("--all", "everything", is_flag=True,
              help="Work out every line again, those kept today too: once after an upgrade.")
def refresh_worklist_command(everything):
    """Bring the worklist lines that time alone may have changed up to date, and take the diary
    points whose chase has ended out of the overdue list's index (cron, nightly after midnight
    clinic time; safe to run twice at once). With --all, every line (after an upgrade)."""
    from tracker.cases.rows import mark_all_outdated, refresh_outdated
    from tracker.diary.chase import end_lapsed
    from tracker.timeutil import utcnow

    if everything:
        mark_all_outdated()
    click.echo(f"{refresh_outdated()} worklist line(s) worked out again.")
    click.echo(f"{end_lapsed(utcnow())} diary point(s) no longer chased (a later point has opened).")


@audit_cli.command("seal")
def audit_seal_command():
    """Chain every committed audit row older than a few minutes to the rows before it (cron, e.g.
    every 10 minutes; two runs at once are safe)."""
    from tracker.audit_chain import seal

    sealed = seal()
    click.echo(f"{sealed.rows} audit row(s) sealed; chain head {sealed.head}.")
    if not sealed.alone:
        click.echo("Another seal run was sealing the same rows; it carries on from here.")


@audit_cli.command("verify")
def audit_verify_command():
    """Walk the chain; name the first row altered, deleted or inserted out of order (exit 1)."""
    from tracker.audit_chain import record_check, verify
    from tracker.timeutil import format_clinic

    verdict = verify()
    record_check(verdict)
    through = verdict.sealed_through
    up_to = (f" up to row {through.id} ({format_clinic(through.at, '%Y-%m-%d %H:%M')})" if through else "")
    if not verdict.ok:
        click.echo(f"The audit trail does NOT verify: {verdict.problem} "
                   f"{verdict.sealed_rows} row(s) before it verify{up_to}.", err=True)
        raise SystemExit(1)
    click.echo(f"The audit trail verifies: {verdict.sealed_rows} row(s) sealed{up_to}; "
               f"{verdict.unsealed_rows} newer row(s) not sealed yet. Chain head {verdict.head}.")


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_create_command(file):
    """Copy the whole database to FILE (SQLite: online backup; PostgreSQL: pg_dump custom format)."""
    from tracker.backup import BackupRefused, create

    try:
        create(file)
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Backup written to {file}.")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_restore_command(file):
    """Restore FILE into the (empty) database DATABASE_URL names."""
    from tracker.backup import BackupRefused, restore

    try:
        restore(file)
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Restored {file}. Check it with: flask audit verify")


def init_app(app):
    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(appointments_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(worklist_cli)
