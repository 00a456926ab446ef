"""Reports by SMS: a text to the hotline number is a report, through paging's report command."""
