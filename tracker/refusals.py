"""A service's refusals: what it raises when it will not do what was asked. Nothing is written
then: the service has rolled back (`tracker.transactions.service`), and the app's one refusal
handler (`tracker.errors`) answers with the page the view declared for it.

Pure: the domain raises these too (the workflow's `TransitionRefused` is one).
"""


class Refusal(Exception):
    """The service said no and wrote nothing; the message says why in words the user understands.

    `status` is the page's answer: 409 when the record or the case moved on since the form was
    opened, 422 when what was typed cannot be accepted as it is.
    """

    status = 409

    def __init__(self, message=""):
        super().__init__(message)
        self.message = message


class StaleEdit(Refusal):
    """Someone else saved this record after the form was opened; nothing was overwritten."""


class FieldError(Refusal):
    """What was typed in one field cannot be accepted; shown next to that field."""

    status = 422

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


class FieldErrors(FieldError):
    """Several fields at once: every value to correct is named in one answer, not one per try."""

    def __init__(self, errors):
        super().__init__(errors[0].field, errors[0].message)
        self.errors = errors


def each_checked(*checks):
    """Run every check (a callable that returns a value or raises FieldError) and return their
    values in order; when any refuses, raise them all together (FieldErrors), so the person fixes
    every field in one go."""
    values, errors = [], []
    for check in checks:
        try:
            values.append(check())
        except FieldError as error:
            errors.extend(getattr(error, "errors", [error]))
            values.append(None)
    if errors:
        raise errors[0] if len(errors) == 1 else FieldErrors(errors)
    return values


def check_version(record, version_id):
    """Refuse (StaleEdit) a save from a form opened on another version of `record`.

    The one optimistic-lock check: the form carries the version it was opened on, compared as
    text because a form sends text. A missing version is stale too, never a free pass.
    """
    if str(record.version_id) != str(version_id):
        raise StaleEdit
