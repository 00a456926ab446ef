"""The directory in the registry: its tables, `run.py directory`, and its console pages."""

from __future__ import annotations

from hotline.base.registry import Command, Feature
from hotline.directory import models
from hotline.web.i18n import N_


def _directory(argv: list[str]) -> int:
    from hotline.directory.cli import main

    return main(argv)


FEATURE = Feature(
    name="directory",
    models=(models,),
    commands=(Command("directory", "import FILE|list|groups|group KEY --rule ...",
                      "people and groups that broadcasts reach; import an HR export (CSV)", _directory),),
    pages=("hotline.directory.pages",),
    words=(N_("sms"), N_("voice"), N_("email"), N_("push")),  # channels
)
