"""`flask api-tokens create|revoke|list`: tokens for other systems, from the command line. Making
and revoking are audited as on the admin page, naming the command line and the system account
that ran it (`tokens.command_line`)."""
import click
from flask.cli import AppGroup

from tracker.models import ApiScope

api_tokens_cli = AppGroup("api-tokens", help="Tokens for systems that call the API.")


@api_tokens_cli.command("create")
@click.option("--email", required=True, help="The coordinator or physician account the token acts as.")
@click.option("--scope", required=True, type=click.Choice([s.value for s in ApiScope]),
              help="read, or intake (read and referral intake)")
@click.option("--days", default=90, show_default=True, type=int, help="Days until it expires (1-366).")
@click.option("--label", default="command line", show_default=True, help="What the token is for.")
def create_command(email, scope, days, label):
    """Make a token and print it once (it is stored only as a hash)."""
    from tracker.api import tokens
    from tracker.refusals import FieldError

    user = tokens.account(email)
    if user is None:
        raise click.BadParameter(f"No account with the email {email}.", param_hint="--email")
    try:
        row, raw = tokens.create(user, scope, days, label, channel=tokens.command_line())
    except FieldError as error:
        hint = {"user_id": "--email"}.get(error.field, f"--{error.field}")
        raise click.BadParameter(error.message, param_hint=hint) from None
    click.echo(f"Token {row.id} for {user.email} ({row.scope.value}), expires "
               f"{row.expires_at:%Y-%m-%d %H:%M} UTC. Copy it now: it is not shown again.")
    click.echo(raw)


@api_tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id):
    """Revoke token TOKEN_ID (see `flask api-tokens list`); it stops working at once."""
    from tracker.api import tokens
    from tracker.extensions import db
    from tracker.models import ApiToken

    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.BadParameter(f"No token {token_id}.", param_hint="TOKEN_ID")
    tokens.revoke(row, channel=tokens.command_line())
    click.echo(f"Token {row.id} ({row.prefix}…, {row.user.email}) revoked.")


@api_tokens_cli.command("list")
def list_command():
    """Every token: id, start, account, scope, status, expiry, last use."""
    from tracker.api import tokens
    from tracker.timeutil import utcnow

    now = utcnow()
    for row in tokens.listing():
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        click.echo(f"{row.id}\t{row.prefix}…\t{row.user.email}\t{row.scope.value}\t{row.status_at(now)}\t"
                   f"expires {row.expires_at:%Y-%m-%d}\tlast used {used}\t{row.label}")
