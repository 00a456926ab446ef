"""The reporting app: an installable web app (PWA) for staff phones that files a report with one
touch, with a note, a photo and the device's location, and keeps it on the phone while there is
no signal. Devices are enrolled from the console; reports go through paging's report command."""
