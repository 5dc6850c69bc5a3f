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
from tracker.procedures.formulary import DrugKind, plain
from tracker.roles import Role

STALE_DRUG = _l("Someone else changed this drug meanwhile. Nothing was saved; your entries are kept. Reload to "
              "see the drug as it is now.")


def _positive(text):
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number > 0 else None


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
        if not parts or any(_positive(part) is None for part in parts):
            raise ValidationError("Strengths are numbers above 0, separated by commas, e.g. 2.5, 5.")

    def validate_usual_max_dose_mg(self, field):
        if field.data and _positive(field.data.strip()) is None:
            raise ValidationError("The usual maximum is a number of mg above 0, or blank for none.")

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

    def show(self, drug):
        """Fill the form with the drug as saved."""
        self.name.data, self.kind.data = drug.name, drug.kind.value
        self.strengths.data = ", ".join(drug.strengths)
        self.strength_unit.data, self.source.data, self.active.data = drug.strength_unit, drug.source, drug.active
        self.usual_max_dose_mg.data = plain(drug.usual_max_dose_mg) if drug.usual_max_dose_mg else ""
        self.version_id.data = drug.version_id


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
        return page()
    on_refusal(form_again(form, page, stale=STALE_DRUG))
    services.save_drug(drug, form.values(), current_user, form.version_id.data)
    flash(_("%(name)s saved.", name=drug.name), "success")
    return redirect(url_for("admin.formulary"))

