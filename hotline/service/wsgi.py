"""WSGI entry point for gunicorn: `gunicorn hotline.service.wsgi:app`."""

from hotline.service.app import create_app

app = create_app()
