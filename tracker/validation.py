"""Errors a service raises about one field, so the view can show them next to it."""


class FieldError(Exception):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


class StaleEdit(Exception):
    """Someone else saved this record after the form was opened; nothing was overwritten."""


def show_on_form(form, error):
    getattr(form, error.field).errors.append(error.message)
