"""Rotas in the registry: `[oncall]`, `[rotas.*]` and `[policies.*]`, overrides, the rota pages."""

from __future__ import annotations

from hotline.base.registry import Feature, Section
from hotline.rotas import models, settings
from hotline.rotas.policy import OncallSettings
from hotline.web.i18n import N_

FEATURE = Feature(
    name="rotas",
    sections=(Section("oncall", OncallSettings, settings.load_section, tables=("rotas", "policies")),),
    models=(models,),
    pages=("hotline.rotas.pages", "hotline.rotas.override_pages", "hotline.rotas.calendar_pages"),
    words=(N_("proposed"), N_("accepted"), N_("declined"), N_("cancelled")),  # swap states
)
