"""Template filters turning registry codes into the words of their nomenclature (built into every template).

`{{ e.headcount_band|headcount }}` « 10 à 19 salariés » (INSEE headcount bands, `companies.nomenclatures`).
"""

from django import template

from tandem.companies.nomenclatures import headcount_label

register = template.Library()


@register.filter
def headcount(code):
    """The SIREN headcount band's label; « non renseigné » when empty or unknown (never the raw code)."""
    return headcount_label(code) or ("non renseigné" if not code else f"tranche inconnue ({code})")
