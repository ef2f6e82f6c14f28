from collections import OrderedDict

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from tandem.core.paging import COUNT_CAP, CappedPaginator

CAP_TEXT = f"{COUNT_CAP:,}".replace(",", "\u202f")  # « 1 000 » in French


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class _OpenPaginator(CappedPaginator):
    """Pages past the cap stay reachable (an API client pages through the whole result with `next`): a page
    is valid while it holds rows; `has_next` is read from one row more than the page."""

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise InvalidPage("Numéro de page invalide.") from None
        if number < 1:
            raise InvalidPage("Numéro de page invalide.")
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise InvalidPage("Page vide.")
        page = self._get_page(rows[: self.per_page], number, self)
        page.has_next = (lambda more: lambda: more)(len(rows) > self.per_page)
        return page


class CappedCountPagination(Pagination):
    """The registry's pagination: `count` stops at 1,000 (`tandem.core.paging.COUNT_CAP`; counting every
    establishment of a broad search over the Région's registry cost seconds) and `count_capped` says there
    are more; every page stays reachable through `next`."""

    django_paginator_class = _OpenPaginator

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(request.query_params.get(self.page_query_param) or 1)
        except InvalidPage as exc:
            raise NotFound(f"Page invalide : {exc}") from None
        return list(self.page)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            OrderedDict(
                [
                    ("count", min(paginator.count, COUNT_CAP)),
                    ("count_capped", paginator.capped),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"] = {
            "type": "integer",
            "example": 123,
            "description": f"Nombre de résultats, compté jusqu'à {CAP_TEXT} au plus (au-delà, `count_capped` "
            "vaut true).",
        }
        answer["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"Vrai s'il y a plus de {CAP_TEXT} résultats : suivre `next` pour les lire tous.",
        }
        answer["required"] = ["count", "count_capped", "results"]
        return answer
