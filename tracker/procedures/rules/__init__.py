"""The procedure checklist's order and safety rules, as plain functions over plain values.

schema (steps, fields, limits, the case context) · values (reading form values) · completeness
(what signing still needs) · checks (one step on save) · order (the safety order) · drug_warnings
(allergies, volumes, doses) · duration · billing.

No database, no request. The shapes the functions read:

- A step's values: a dict of field name -> value as a form gives it (None or "" when blank).
  Confirmations (``Field.confirmation``) are tick boxes and count only when True; answers such
  as vascular uptake are recorded when True or False. Numbers may be Decimals, ints or numeric
  strings.
- Per-side steps (fluoroscopy, contrast, injectate) are always keyed by side,
  ``{"left": values, "right": values}``; a unilateral case has one key, its own side.
- Injectate values: ``{"rows": [row, ...]}``, each row a dict with ``INJECTATE_ROW_FIELDS``.
  Field errors on a row are keyed ``rows-<index>-<field>``, as a WTForms FieldList names them;
  an error of the row as a whole (a dose that does not match its concentration and volume, any
  of the three possibly the mistyped one) is keyed ``rows-<index>``.
- A formulary: a mapping from drug code to an entry with the attributes of
  ``tracker.procedures.formulary.FormularyEntry`` (a model row will do).
"""
