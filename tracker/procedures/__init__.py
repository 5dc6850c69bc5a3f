"""The procedure checklist at the table: its ordering and safety rules, and the default formulary."""
