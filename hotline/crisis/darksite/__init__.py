"""The dark site: the organisation's public crisis page, dormant until an admin switches it on
for an activated crisis. Public on purpose: no login, no cookies, no scripts; cacheable by a CDN;
exportable as static files (`run.py darksite export DIR`) for when this server is down."""

from hotline.crisis.darksite.routes import bp

__all__ = ["bp"]
