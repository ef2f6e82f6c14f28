"""Database ids read from user input: query strings, form fields, URL parts.

`str.isdigit()` admits `²` or `٣` (which `int()` then refuses) and any length (which PostgreSQL's bigint
refuses): both used to end in a 500. Every id a user sends goes through `parse_id`; callers answer 404 (a
detail page: an id that cannot exist is simply not found) or a French 400 (a filter or a form field).
"""

from __future__ import annotations

from django.http import Http404

MAX_DB_ID = 2**63 - 1  # PostgreSQL bigint, the type of every primary key (DEFAULT_AUTO_FIELD)


def parse_id(value) -> int | None:
    """The positive id written in `value` (ASCII digits only, within bigint), or None when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_DB_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_DB_ID else None


def id_or_404(value) -> int:
    """`parse_id`, answering 404 (the French not-found page, or « Introuvable. » in the API) when invalid."""
    number = parse_id(value)
    if number is None:
        raise Http404
    return number
