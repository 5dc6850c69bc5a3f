"""Dependencies point one way: the pure domain reaches no framework, models reach no services, no
blueprint's views reach into another's, and the untrusted diary link reaches no staff code."""
import ast
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tracker.procedures.rules

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tracker"

# Plain Python over plain values, unit-tested without HTTP or a database.
PURE_MODULES = [
    "tracker.roles", "tracker.vocab", "tracker.refusals", "tracker.workflow", "tracker.clinical",
    "tracker.policy", "tracker.policy.engine", "tracker.policy.facts", "tracker.policy.profiles",
    "tracker.diary.relief", "tracker.diary.schedule", "tracker.diary.chart",
    "tracker.scheduling.readiness", "tracker.scheduling.rules", "tracker.scheduling.instructions",
    "tracker.procedures.formulary", "tracker.procedures.records", "tracker.reports.stats", "tracker.reports.charts",
    "tracker.coding",
    "tracker.patients.identity", "tracker.patients.duplicates",
    *(f"tracker.procedures.rules.{m.name}" for m in pkgutil.iter_modules(tracker.procedures.rules.__path__)),
]
FRAMEWORKS = ("flask", "sqlalchemy", "flask_sqlalchemy", "flask_login", "flask_wtf", "wtforms", "werkzeug")


def loaded_after_import(module):
    """The modules a fresh interpreter holds after importing `module` (and nothing else)."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_the_pure_domain_loads_no_web_or_database_framework(module):
    frameworks = [name for name in loaded_after_import(module) if name.split(".")[0] in FRAMEWORKS]
    assert frameworks == [], f"{module} pulls in {frameworks[:5]}"


def test_the_list_of_pure_modules_names_only_modules_that_exist():
    # A module renamed away would otherwise leave its check passing on an import error.
    for module in PURE_MODULES:
        assert (PACKAGE.parent / (module.replace(".", "/") + ".py")).exists() \
            or (PACKAGE.parent / module.replace(".", "/") / "__init__.py").exists(), module


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text())


def _imports(tree):
    """Every module a file imports, at the top or inside a function."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            # `from tracker.x import views` names a module too.
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _defines_blueprint(tree):
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint"
               for node in ast.walk(tree))


MODULES = {name: (path, tree) for name, path, tree in _modules()}
VIEWS = {name for name, (_, tree) in MODULES.items() if _defines_blueprint(tree)}


def _package(module):
    return module.rsplit(".", 1)[0]


def test_there_are_views_to_check():
    assert {"tracker.cases.views", "tracker.diary.views", "tracker.patient_link.views"} <= VIEWS


def test_no_module_imports_another_blueprints_views():
    crossing = sorted(
        f"{name} imports {imported}"
        for name, (_, tree) in MODULES.items() if name != "tracker.factory"
        for imported in set(_imports(tree))
        if imported in VIEWS and imported != name and _package(imported) != _package(name)
    )
    assert crossing == []


def test_models_import_no_services():
    reaching = sorted(
        f"{name} imports {imported}"
        for name, (_, tree) in MODULES.items() if name.startswith("tracker.models")
        for imported in set(_imports(tree)) if imported.endswith("services") or imported in VIEWS
    )
    assert reaching == []


# Services own their transactions through tracker.transactions (@service, undo_refused_write,
# savepoint); the error handlers start a failed request over; access.record_denial keeps only the
# denial's audit row. No view or service rolls back itself.
ROLLS_BACK = {"tracker.transactions", "tracker.errors", "tracker.access"}


def test_only_the_transaction_helpers_roll_back():
    rolling_back = sorted(
        name for name, (_, tree) in MODULES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rollback"
        and name not in ROLLS_BACK
    )
    assert rolling_back == []


# Side effects of a move are the transition table's declared hooks (workflow.FreesBooking, run by
# cases.services.transition), never a hidden import: eligibility frees no appointment itself.
KEPT_APART = [("tracker.eligibility", "tracker.scheduling")]


@pytest.mark.parametrize("area, other", KEPT_APART)
def test_an_area_imports_nothing_of_an_area_it_is_kept_apart_from(area, other):
    within = lambda name, package: name == package or name.startswith(package + ".")  # noqa: E731
    reaching = sorted(f"{name} imports {imported}" for name, (_, tree) in MODULES.items() if within(name, area)
                      for imported in set(_imports(tree)) if within(imported, other))
    assert any(within(name, area) for name in MODULES) and reaching == []


STAFF_CODE = ("tracker.loaders", "tracker.cases", "tracker.admin", "tracker.auth", "tracker.patient_portal")


def test_the_personal_link_surface_loads_no_staff_code():
    loaded = loaded_after_import("tracker.patient_link.views")
    staff = [name for name in loaded
             if (name in VIEWS and name != "tracker.patient_link.views")
             or any(name == prefix or name.startswith(prefix + ".") for prefix in STAFF_CODE)]
    assert "tracker.patient_link.views" in loaded and staff == []


TEMPLATES = ROOT / "templates"
# A template asks may('endpoint'), may_move(case, action), state_allows(case, action) or a named
# state set (BEFORE_PROCEDURE, NOT_STARTED...) instead of restating a role check, a list of
# states written in the template, or a case's or appointment's state compared with a string.
RESTATED_RULES = re.compile(
    r"current_user\.role(?!\.label)|\bRole\."                          # a role check
    r"|\b(?:state|status)(?:\.value)?\s+(?:not\s+)?in\s*[(\[]"        # a list of states
    r"|\b(?:state|status)\.value\s*(?:==|!=)"                           # one state, by its stored text
    r"|\bstate\s*(?:==|!=)")                                           # one case state, however written


@pytest.mark.parametrize("line", [
    "{% if current_user.role == 'physician' %}", "{% if case.state.value in ('referred', 'under_review') %}",
    "{% if case.state.value == 'scheduled' %}", "{% if case.state != State.SCHEDULED %}",
    "{% if a.status.value in ('booked', 'checked_in') %}", "{% if status in ['booked'] %}",
    "{% if appointment.status.value == 'booked' %}"])
def test_the_template_check_catches_each_way_of_restating_a_rule(line):
    assert RESTATED_RULES.search(line)


@pytest.mark.parametrize("line", [
    "{% if case.state in BEFORE_PROCEDURE %}", "{% if state_allows(case, 'unschedule') %}",
    "{% if a.status in NOT_STARTED %}", "{{ case.state.label }}", "{{ row.actor_role.label|lower }}"])
def test_the_template_check_lets_declarations_through(line):
    assert not RESTATED_RULES.search(line)


def test_templates_ask_the_declarations_instead_of_restating_roles_or_state_lists():
    restating = sorted(f"{path.relative_to(ROOT)}:{n}" for path in TEMPLATES.rglob("*.html")
                       for n, line in enumerate(path.read_text().splitlines(), start=1)
                       if RESTATED_RULES.search(line))
    assert restating == []
