"""Post-incident reviews: the after-action report of a closed incident (its crisis and drill
included), with findings and action items that are followed until done."""
