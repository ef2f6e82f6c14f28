"""Template filters turning registry codes into the words of their nomenclature (built into every template).

`{{ e.headcount_band|headcount }}` « 10 à 19 salariés » (INSEE headcount bands), `{{ c.legal_category|legal_form }}`
« Société par actions simplifiée » (INSEE legal categories); both from `companies.nomenclatures`.
"""

from django import template

from tandem.companies.nomenclatures import headcount_label, legal_category_label

register = template.Library()


@register.filter
def headcount(code):
    """The SIREN headcount band's label; « non renseigné » when empty or unknown (never the raw code)."""
    return headcount_label(code) or ("non renseigné" if not code else f"tranche inconnue ({code})")


@register.filter
def legal_form(code):
    """The legal category in words, its code after it for those who search by it; « non renseignée » when
    empty, never the bare code."""
    label = legal_category_label(code)
    if label:
        return f"{label} ({code})"
    return "non renseignée" if not code else f"catégorie inconnue ({code})"
