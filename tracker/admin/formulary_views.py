"""Admin: the formulary the procedure checklist offers (drugs, strengths, usual maximum doses).

Its routes are registered on the admin blueprint. A drug is never deleted, since signed records
name it: it is marked not stocked, and is then no longer offered.
"""
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_babel import gettext as _
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from tracker.access import allow
from tracker.admin.views import bp
from tracker.errors import form_again, on_refusal
from tracker.extensions import db
from tracker.formfields import TrackerForm, options
from tracker.models import FormularyDrug
from tracker.procedures import services
from tracker.procedures.formulary import TEN_FOLD, DrugKind, plain, times_words
from tracker.roles import Role

STALE_DRUG = _l("Someone else changed this drug meanwhile. Nothing was saved; your entries are kept. Reload to "
              "see the drug as it is now.")


# No vial holds more than this per mL (or per cent), and no dose per joint comes near this many mg
# (the column holds up to 99999.999): a number past them is a slip of the keyboard, never a drug.
MOST_STRENGTH = Decimal("10000")
MOST_DOSE_MG = Decimal("100000")


def _positive(text, most=None):
    """The number typed, if it is above 0 (and at most `most`, when given); else None."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number > 0 and (most is None or number <= most) else None


class DrugFieldsMixin:
    """What an admin may change about a drug. Its code is set once: records store it."""

    name = StringField("Name", validators=[DataRequired("Give the drug's name."), Length(max=120)])
    kind = SelectField("Kind", choices=options(DrugKind))
    strengths = StringField("Strengths", validators=[DataRequired("List at least one strength, e.g. 10, 20.")])
    strength_unit = StringField("Unit of the strengths", default="mg/mL", validators=[
        DataRequired("Give the unit, e.g. mg/mL."), Length(max=20)])
    usual_max_dose_mg = StringField("Usual maximum dose per SI joint (mg)", validators=[Optional()])
    source = TextAreaField("Source or note", validators=[Length(max=2000)])
    active = BooleanField("Stocked (offered on the checklist)", default=True)
    submit = SubmitField("Save drug")

    def validate_strengths(self, field):
        parts = [part.strip() for part in field.data.split(",") if part.strip()]
        if not parts or any(_positive(part, MOST_STRENGTH) is None for part in parts):
            raise ValidationError(f"Strengths are numbers above 0 and at most {MOST_STRENGTH}, separated by commas, "
                                  f"e.g. 2.5, 5.")

    def validate_usual_max_dose_mg(self, field):
        maximum = field.data.strip() if field.data else ""
        if maximum and (_positive(maximum) is None or Decimal(maximum) >= MOST_DOSE_MG):
            raise ValidationError(f"The usual maximum is a number of mg above 0 and below {MOST_DOSE_MG}, "
                                  f"or blank for none.")

    def values(self):
        maximum = (self.usual_max_dose_mg.data or "").strip()
        return {"name": self.name.data.strip(), "kind": DrugKind(self.kind.data),
                "strengths": [plain(_positive(part.strip())) for part in self.strengths.data.split(",")
                              if part.strip()],
                "strength_unit": self.strength_unit.data.strip(),
                "usual_max_dose_mg": _positive(maximum) if maximum else None,
                "source": (self.source.data or "").strip(), "active": self.active.data}


class NewDrugForm(DrugFieldsMixin, TrackerForm):
    code = StringField("Code", validators=[
        DataRequired("Give the drug a short code, e.g. lidocaine."), Length(max=40),
        Regexp(r"^[a-z][a-z0-9_]*$", message="Use lower-case letters, digits and _ only, e.g. ropivacaine.")])

    def values(self):
        return {"code": self.code.data.strip(), **super().values()}


class EditDrugForm(DrugFieldsMixin, TrackerForm):
    version_id = HiddenField()
    # Shown once the usual maximum moved far from the saved one: ticked, it confirms that very change
    # (`confirm_maximum_for`, its key as shown), never whichever value is typed next.
    confirm_maximum = BooleanField()
    confirm_maximum_for = HiddenField()

    def confirmed_maximum(self):
        """The change of the usual maximum the admin ticked the box for, or None."""
        return self.confirm_maximum_for.data if self.confirm_maximum.data and self.confirm_maximum_for.data else None

    def show(self, drug):
        """Fill the form with the drug as saved."""
        self.name.data, self.kind.data = drug.name, drug.kind.value
        self.strengths.data = ", ".join(drug.strengths)
        self.strength_unit.data, self.source.data, self.active.data = drug.strength_unit, drug.source, drug.active
        self.usual_max_dose_mg.data = plain(drug.usual_max_dose_mg) if drug.usual_max_dose_mg else ""
        self.version_id.data = drug.version_id


def _drug_refused(form, page):
    """The drug form's refusal answer: a usual maximum moved far from the saved one is asked about
    next to the field, with the box naming the old and new value (unticked: a tick given for
    another value does not carry over); everything typed is kept."""
    answer = form_again(form, page, stale=STALE_DRUG)

    def respond(refusal):
        if not isinstance(refusal, services.MaximumChangeToConfirm):
            return answer(refusal)
        form.usual_max_dose_mg.errors = [*form.usual_max_dose_mg.errors, _maximum_question(refusal)]
        form.confirm_maximum_for.data, form.confirm_maximum.data = refusal.key, False
        _name_the_change(form, refusal.name, refusal.old, refusal.new)
        return page()

    return respond


def _name_the_change(form, name, old, new):
    """The confirmation box's label: the drug and the change of its usual maximum it confirms."""
    old_words, new_words = services.mg_words(old), services.mg_words(new)
    form.confirm_maximum.label.text = (
        _("I confirm the usual maximum of %(name)s changes from %(old)s to %(new)s", name=name, old=old_words,
          new=new_words) if new is not None else
        _("I confirm the usual maximum of %(name)s (%(old)s) is removed", name=name, old=old_words))


def _name_the_asked_change(form, drug):
    """A form refused for another field while the box is shown: it still names the change it was
    asked for (its key, "old:new"), not a bare "Confirm Maximum"."""
    old, _sep, new = (form.confirm_maximum_for.data or "").partition(":")
    try:
        _name_the_change(form, (form.name.data or "").strip() or drug.name, Decimal(old) if old else None,
                         Decimal(new) if new else None)
    except InvalidOperation:
        form.confirm_maximum_for.data = ""  # a hand-edited key: no box, the change is asked about again


def _maximum_question(refusal):
    """Why the change is asked about, in what it does to the checklist."""
    old, new = services.mg_words(refusal.old), services.mg_words(refusal.new)
    if refusal.new is None:
        said = _("This removes the usual maximum of %(old)s: the checklist would no longer warn about or stop any "
                 "dose of %(name)s.", old=old, name=refusal.name)
    else:
        stop = services.mg_words(refusal.new * TEN_FOLD)
        raised = refusal.new > refusal.old
        if refusal.stops_above:
            effect = (_("the checklist would stop a dose only above %(new)s.", new=new) if raised else
                      _("the checklist would stop a dose above %(new)s.", new=new))
        elif refusal.warns and refusal.stops:
            effect = (_("the checklist would warn only above %(new)s and stop a dose only from %(stop)s.",
                        new=new, stop=stop) if raised else
                      _("the checklist would warn above %(new)s and stop a dose from %(stop)s.", new=new, stop=stop))
        elif refusal.stops:
            effect = (_("the checklist would stop a dose only from %(stop)s.", stop=stop) if raised else
                      _("the checklist would stop a dose from %(stop)s.", stop=stop))
        else:
            effect = _("doses of this drug are checked against it.")
        said = _("This changes the usual maximum from %(old)s to %(new)s, %(times)s the saved maximum: %(effect)s",
                 old=old, new=new, times=times_words(refusal.old, refusal.new), effect=effect)
    return said + " " + _("Check the number; if it is right, tick the box below.")


@bp.route("/formulary", methods=["GET", "POST"])
@allow(Role.ADMIN)
def formulary():
    form = NewDrugForm()

    def page(status=None):
        drugs = sorted(services.formulary().values(), key=lambda d: (d.kind.value, d.name))
        return render_template("admin/formulary.html", form=form, drugs=drugs), 422 if form.errors else 200

    if not form.validate_on_submit():
        return page()
    on_refusal(form_again(form, page))
    drug = services.save_drug(None, form.values(), current_user)
    flash(_("%(name)s added to the formulary.", name=drug.name), "success")
    return redirect(url_for("admin.formulary"))


@bp.route("/formulary/<int:drug_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_drug(drug_id):
    drug = db.session.get(FormularyDrug, drug_id) or abort(404)
    form = EditDrugForm()
    if not form.is_submitted():
        form.show(drug)

    def page(status=None):
        return render_template("admin/formulary_edit.html", form=form, drug=drug), \
            status or (422 if form.errors else 200)

    if not form.validate_on_submit():
        if form.confirm_maximum_for.data:
            _name_the_asked_change(form, drug)
        return page()
    on_refusal(_drug_refused(form, page))
    services.save_drug(drug, form.values(), current_user, form.version_id.data, form.confirmed_maximum())
    flash(_("%(name)s saved.", name=drug.name), "success")
    return redirect(url_for("admin.formulary"))

