"""WSGI entry point for gunicorn: `gunicorn hotline.wsgi:app`."""

from hotline.app import create_app

app = create_app()
