"""Pure eligibility core of the support-scheme catalogue (no Django)."""
