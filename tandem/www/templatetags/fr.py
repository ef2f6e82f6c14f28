"""Template filters for French figures, built into every template (settings TEMPLATES `builtins`).

`{{ x|num }}` « 12 345,6 », `{{ x|num:2 }}`, `{{ x|eur }}` « 173 000 € », `{{ x|eur_m2 }}` « 18 €/m² »,
`{{ x|ha }}` « 1,46 ha », `{{ share|pct }}` « 40 % », `{{ d|frdate }}` « 01/01/2028 » (dates or ISO texts).
They call `tandem.core.formats`, the one home of these rules. Query strings: Django's `{% querystring %}`.
"""

from django import template

from tandem.core import formats

register = template.Library()


@register.filter
def num(value, digits=1):
    return formats.fr_number(value, int(digits))


@register.filter
def eur(value, digits=0):
    return formats.fr_amount(value, "€", int(digits))


@register.filter
def eur_m2(value, digits=2):
    return formats.fr_amount(value, "€/m²", int(digits))


@register.filter
def ha(value, digits=2):
    return formats.fr_amount(value, "ha", int(digits))


@register.filter
def pct(value, digits=0):
    return formats.fr_percent(value, int(digits))


@register.filter
def frdate(value):
    return formats.fr_date(value, missing="")
