"""The SI joint injection tracker.

The package itself imports nothing, so the pure domain modules (ARCHITECTURE.md) load without Flask
or SQLAlchemy; the application factory lives in `tracker.factory`.
"""


def create_app(config=None, **overrides):
    """Build the Flask application (see `tracker.factory.create_app`)."""
    from tracker.factory import create_app as build

    return build(config, **overrides)
