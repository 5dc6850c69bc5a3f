"""Sign-in, sign-out, password change and the role-based home redirect."""
import time

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.access import allow, public
from tracker.auth import held_forms, services
from tracker.auth.forms import ChangePasswordForm, SignInForm
from tracker.diary.forms import in_her_words
from tracker.navigation import home_url
from tracker.roles import Role
from tracker.security import idle_seconds_left, is_safe_next, session_over

bp = Blueprint("auth", __name__)

@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = SignInForm()
    next_path = request.values.get("next", "")
    if form.validate_on_submit():
        # Signing in starts a fresh session: read the held form's token from the old one first.
        held_token = session.get(held_forms.SESSION_KEY)
        try:
            user = services.sign_in(form.email.data, form.password.data)
        except services.SignInRefused as refusal:
            form.password.errors.append(str(refusal))
        else:
            if held_forms.waiting_for(user, held_token):
                return redirect(url_for("auth.held_form", token=held_token))
            return redirect(next_path if is_safe_next(next_path) else home_url(user))
    return render_template("auth/sign_in.html", form=form,
                           next_path=next_path if is_safe_next(next_path) else "")


@bp.route("/sign-out", methods=["POST"])
@allow(*Role)
def sign_out():
    services.sign_out(current_user._get_current_object())
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*Role)
def change_password():
    form = ChangePasswordForm(owner_email=current_user.email)
    if form.validate_on_submit():
        if services.change_password(current_user._get_current_object(),
                                    form.current_password.data, form.new_password.data):
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(home_url(current_user))
        form.current_password.errors.append(_("The current password is not correct."))
    layout = "patient/base.html" if current_user.role == Role.PATIENT else "base.html"
    return render_template("auth/change_password.html", form=form, layout=layout)


# ------------------------------------------------------------------ keeping work

@bp.route("/session/keep-alive", methods=["POST"])
@allow(*Role)
def keep_alive():
    """The page saw someone typing, ticking or scrolling (static/js/session.js): the request
    itself renews the idle clock (security.enforce_session_limits); nothing else to do."""
    return "", 204


@bp.route("/session/left")
@allow(*Role)
def session_left():
    """Whether this session has ended, asked by a page whose own clock says it has
    (static/js/session.js): another tab may have kept it alive meanwhile. Answering neither ends
    nor renews it (security.READ_ONLY_ENDPOINTS), so a form the page then sends is still held for
    its user."""
    now = time.time()
    response = jsonify(ended=session_over(now), left=idle_seconds_left())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/session/held/<token>")
@allow(*Role)
def held_form(token):
    held = held_forms.waiting_for(current_user, token) or abort(404)
    if current_user.role == Role.PATIENT:
        # Her own layout and language, and what she chose in her words (a diary score, a correction).
        return render_template("patient/held_form.html", held=held, resent_field=held_forms.RESENT_FIELD,
                               shown=in_her_words(held.fields, correcting=held.path.endswith("/correct")))
    return render_template("auth/held_form.html", held=held, shown=held_forms.shown_fields(held.fields),
                           resent_field=held_forms.RESENT_FIELD)


@bp.route("/session/held/<token>/discard", methods=["POST"])
@allow(*Role)
def discard_held_form(token):
    held = held_forms.waiting_for(current_user, token) or abort(404)
    held_forms.discard(held)
    flash(_("What you had typed is discarded."), "info")
    return redirect(home_url(current_user))
