"""Trends in the registry: the trends page (real incidents and drills apart, charts and CSV)."""

from __future__ import annotations

from hotline.base.registry import Feature

FEATURE = Feature(name="trends", pages=("hotline.trends.pages",))
