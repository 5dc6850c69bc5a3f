"""Reports for coordinators and physicians (figures, charts and CSV downloads)."""
