"""The Atom feed (RFC 4287) of the dark site in one language: one entry per published statement.
Every text goes through `xml_safe`, so no character in a statement can make the feed unreadable."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from hotline.base.config import Config
from hotline.base.xml_text import xml_safe
from hotline.crisis.darksite.view import Site, words

NS = "http://www.w3.org/2005/Atom"


def feed(cfg: Config, site: Site, self_url: str, page_url: str) -> bytes:
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": site.lang})
    _text(root, "id", f"{cfg.public_url}/site/{site.lang}/")
    _text(root, "title", words(site.lang)["title"].format(org=cfg.org_name))
    _text(root, "updated", (site.updated.isoformat() if site.updated else "1970-01-01T00:00:00+00:00"))
    ET.SubElement(root, f"{{{NS}}}link", {"rel": "self", "href": self_url})
    ET.SubElement(root, f"{{{NS}}}link", {"rel": "alternate", "href": page_url, "type": "text/html"})
    author = ET.SubElement(root, f"{{{NS}}}author")
    _text(author, "name", cfg.org_name)
    for entry in site.entries:
        e = ET.SubElement(root, f"{{{NS}}}entry")
        # One entry per language: the zh-TW and en-US feeds are different documents (issue #25).
        _text(e, "id", f"{cfg.public_url}/site/{site.lang}/statements/{entry.id}")
        _text(e, "title", entry.title)
        _text(e, "updated", entry.published_at.isoformat())
        _text(e, "published", entry.published_at.isoformat())
        ET.SubElement(e, f"{{{NS}}}link", {"rel": "alternate", "href": f"{page_url}#s{entry.id}"})
        content = _text(e, "content", entry.body)
        content.set("type", "text")
        content.set("{http://www.w3.org/XML/1998/namespace}lang", entry.body_lang)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS}}}{tag}")
    el.text = xml_safe(value)  # a control character would make the whole feed invalid XML
    return el
