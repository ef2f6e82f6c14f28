"""Template filters turning registry codes into the words of their nomenclature (built into every template).

`{{ e.headcount_band|headcount }}` « 10 à 19 salariés » (INSEE headcount bands), `{{ c.legal_category|legal_form }}`
« Société par actions simplifiée » (INSEE legal categories), `{{ c.naf|naf }}` « 25.11Z (Fabrication de structures
métalliques et de parties de structures) » (NAF rév. 2); all from `companies.nomenclatures`.
"""

from django import template

from tandem.companies.nomenclatures import headcount_label, legal_category_label, naf_label

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


@register.filter
def naf(code):
    """The NAF code with its label in words after it; « non renseigné » when empty, the bare code when the
    nomenclature does not know it (an older NAF)."""
    if not code:
        return "non renseigné"
    label = naf_label(code)
    return f"{code} ({label})" if label else code
