"""The one door to incident and callout state (see `hotline.paging.commands`)."""
