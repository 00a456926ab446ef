"""`run.py darksite export DIR`: the dark site as static files, fetched through the app itself so
the copy is byte for byte what /site/ serves. Any web server (or object store) can then serve DIR
if this server is down: index.html, LANG/index.html, feed.atom, LANG/feed.atom, site.css."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def paths(languages: tuple[str, ...]) -> dict[str, str]:
    """URL path -> file, relative to DIR."""
    out = {"/site/": "index.html", "/site/feed.atom": "feed.atom", "/site/site.css": "site.css"}
    for lang in languages:
        out[f"/site/{lang}/"] = f"{lang}/index.html"
        out[f"/site/{lang}/feed.atom"] = f"{lang}/feed.atom"
    return out


def export(app: Flask, folder: Path, languages: tuple[str, ...]) -> list[Path]:
    """Write every page that answers 200; a dormant site (404 by choice) writes only its CSS."""
    written = []
    client = app.test_client()
    for url, name in paths(languages).items():
        response = client.get(url)
        if response.status_code != 200:
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.get_data())
        written.append(target)
    return written
