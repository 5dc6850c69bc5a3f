"""The patient's pain diary: its schedule, entries, interpretation, reminders and outcome."""
