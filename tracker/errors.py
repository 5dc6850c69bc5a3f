"""Error pages in the app's own style. A 500 shows an incident id for the logs, never a trace."""
import uuid

from flask import render_template
from flask_wtf.csrf import CSRFError

from tracker import api
from tracker.extensions import db


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/400.html", reason=error.description), 400

    @app.errorhandler(400)
    def bad_request(error):
        return api.error_response(400, error.description) or (
            render_template("errors/400.html", reason=None), 400)

    @app.errorhandler(403)
    def forbidden(error):
        return api.error_response(403, error.description) or (render_template("errors/403.html"), 403)

    @app.errorhandler(404)
    def not_found(error):
        return api.error_response(404, "Not found.") or (render_template("errors/404.html"), 404)

    @app.errorhandler(405)
    def method_not_allowed(error):
        return api.error_response(405, "Method not allowed here.") or (render_template("errors/404.html"), 405)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        incident = uuid.uuid4().hex[:12]
        app.logger.error("incident %s: %s", incident, getattr(error, "original_exception", error),
                         exc_info=getattr(error, "original_exception", None))
        return api.error_response(500, f"Internal error (incident {incident}).") or (
            render_template("errors/500.html", incident=incident), 500)
