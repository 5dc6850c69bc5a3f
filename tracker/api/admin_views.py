"""Admin: API tokens for other systems, created (shown once) and revoked (once confirmed)."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_babel import gettext as _

from tracker.access import allow
from tracker.roles import Role
from tracker.api import tokens
from tracker.api.forms import NewTokenForm, RevokeTokenForm
from tracker.extensions import db
from tracker.formfields import options
from tracker.models import ApiToken, User
from tracker.timeutil import utcnow
from tracker.errors import form_again, on_refusal

bp = Blueprint("api_tokens", __name__)


def _form(**data):
    form = NewTokenForm(**data)
    form.user_id.choices = options([(str(u.id), f"{u.name} ({u.role.label}, {u.email})")
                                    for u in tokens.token_accounts()], blank="Choose…")
    return form


def _page(form, created=None, status=200):
    return render_template("api/tokens.html", form=form, rows=tokens.listing(), now=utcnow(),
                           created=created), status


@bp.route("/", methods=["GET", "POST"])
@allow(Role.ADMIN)
def index():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422 if form.errors else 200)
    on_refusal(form_again(form, lambda status=None: _page(form, status=status or 422)))
    row, raw = tokens.create(db.session.get(User, int(form.user_id.data)), form.scope.data,
                             form.days.data, form.label.data, actor=current_user)
    # Rendered, never redirected: the token must not travel through a flash message or a URL.
    return _page(_form(formdata=None),
                 created={"row": row, "token": raw})


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@allow(Role.ADMIN)
def revoke(token_id):
    """A page naming the token, its account and scope and what stops working, with the box that
    confirms it; only a ticked box revokes."""
    row = db.session.get(ApiToken, token_id) or abort(404)
    if row.revoked_at is not None:
        flash(_("Token %(prefix)s… was already revoked.", prefix=row.prefix), "info")
        return redirect(url_for("api_tokens.index"))
    form = RevokeTokenForm()
    form.confirm.label.text = _("I confirm revoking token %(prefix)s… (%(label)s) for %(email)s",
                                prefix=row.prefix, label=row.label, email=row.user.email)
    if not form.validate_on_submit():
        return render_template("api/token_revoke.html", form=form, row=row, now=utcnow()), \
            422 if form.errors else 200
    tokens.revoke(row, current_user)
    flash(_("Token %(prefix)s… revoked: it no longer opens the API.", prefix=row.prefix), "success")
    return redirect(url_for("api_tokens.index"))
