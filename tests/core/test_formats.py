"""French figures: one set of functions for pages, popups' server side, conditions and exports."""

import datetime as dt

import numpy as np
from django.template import Context, Template

from tandem.core import formats
from tandem.prospects.matching.text import fr_date, fr_num, status_text

NNBSP, NBSP = "\u202f", "\u00a0"


def test_numbers_amounts_and_dates_read_french():
    assert formats.fr_number(1234.5) == f"1{NNBSP}234,5"
    assert formats.fr_number(173000.0, 1) == f"173{NNBSP}000"
    assert formats.fr_number(1.456, 2) == "1,46"
    assert formats.fr_number(None) == "—"
    assert formats.fr_number(float("nan")) == "—"
    assert formats.fr_amount(1234.5, "€", 1) == f"1{NNBSP}234,5{NBSP}€"
    assert formats.fr_amount(18.0, "€/m²", 2) == f"18{NBSP}€/m²"
    assert formats.fr_percent(0.4) == f"40{NBSP}%"
    assert formats.fr_date(dt.date(2028, 1, 1)) == "01/01/2028"
    assert formats.fr_date("2027-01-01") == "01/01/2027"
    assert formats.fr_date(dt.datetime(2026, 12, 3, 10, 5)) == "03/12/2026"
    assert formats.fr_date(None) == "—"


def test_matching_wording_uses_the_same_rules():
    assert fr_num(12345.6) == formats.fr_number(12345.6) == f"12{NNBSP}345,6"
    assert fr_num(None) == "?"
    assert fr_date(np.datetime64("2027-01-01")) == "01/01/2027"
    assert fr_date(np.datetime64("NaT")) == "?"
    assert status_text("conditional", "2027-01-01") == "sous condition (au 01/01/2027)"
    assert status_text("eligible") == "éligible"
    assert status_text("excluded") == "exclu"


def test_template_filters_are_built_in():
    html = Template(
        "{{ a|eur }}|{{ s|ha }}|{{ s|num:1 }}|{{ d|frdate }}|{{ iso|frdate }}|{{ p|eur_m2 }}|{{ n|num:0 }}"
    ).render(
        Context(
            {"a": 173000.0, "s": 1.456, "d": dt.date(2028, 1, 1), "iso": "2027-01-01", "p": 18.0, "n": 1500}
        )
    )
    assert html == (f"173{NNBSP}000{NBSP}€|1,46{NBSP}ha|1,5|01/01/2028|01/01/2027|18{NBSP}€/m²|1{NNBSP}500")
