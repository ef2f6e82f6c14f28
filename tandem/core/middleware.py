from django.http import HttpResponseBadRequest


class RejectNulBytesMiddleware:
    """A NUL character cannot be stored nor compared by PostgreSQL (it raises instead of matching nothing):
    a query string or form field carrying one is refused with a 400 in French before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Multipart bodies (uploads) are left to the views: parsing them here would read every file early.
        sources = (
            [request.GET] if request.content_type == "multipart/form-data" else [request.GET, request.POST]
        )
        for params in sources:
            for key, values in params.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return HttpResponseBadRequest(
                        "Requête invalide : un paramètre contient un caractère nul.",
                        content_type="text/plain; charset=utf-8",
                    )
        return self.get_response(request)
