import json
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest


def api_error(status: int, detail: str) -> HttpResponse:
    """An error of /api/v1/ answered outside DRF (no route, a refused parameter): `{"detail": …}` in JSON,
    the body tandem.api.exceptions gives and the API's schema documents (tandem/api/schema.py)."""
    body = json.dumps({"detail": detail}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json")


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
                    message = "Requête invalide : un paramètre contient un caractère nul."
                    if request.path.startswith("/api/"):
                        return api_error(400, message)  # the API's JSON error, as its schema says
                    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# A standalone document (the prospect answer file, rendered for WeasyPrint too) carries its own stylesheet
# and runs nothing: no script at all, its inline <style>, images only from itself.
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def content_security_policy(tile_url: str) -> str:
    """The pages' policy: scripts, styles, fonts and requests from Tandem itself only — no inline script, no
    inline style, no `eval` (templates use static files and data attributes) —, and for the maps (MapLibre GL
    JS): its worker, a module script of Tandem's (`worker-src 'self'`), images decoded from `blob:` URLs, and
    the base-map tile server of `TANDEM_TILE_URL`, which MapLibre fetches (`connect-src`) and draws (`img-src`)."""
    images, requests = ["'self'", "data:", "blob:"], ["'self'"]
    parts = urlsplit(tile_url or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        images.append(f"{parts.scheme}://{parts.netloc}")
        requests.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            f"connect-src {' '.join(requests)}",
            "worker-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header to every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy(settings.TANDEM_TILE_URL)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class RequestTimingMiddleware:
    """How long the server took for each request, and how many SQL queries: a `Server-Timing` header
    (`app;dur=…`, `db;desc="N requêtes"`) the browser's tools and the load benchmark read (server time against
    time seen by the client: the difference is waiting in queues), and a WARNING line of the logger
    `tandem.requests` for every request slower than `TANDEM_SLOW_REQUEST_MS` (method, path without its query
    string, status, duration, queries) — what to EXPLAIN first."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.slow_ms = settings.TANDEM_SLOW_REQUEST_MS

    def __call__(self, request):
        import logging
        import time

        from django.db import connection

        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        ms = (time.perf_counter() - started) * 1000
        response.headers.setdefault("Server-Timing", f'app;dur={ms:.1f}, db;desc="{queries[0]} requêtes"')
        if self.slow_ms and ms >= self.slow_ms:
            logging.getLogger("tandem.requests").warning(
                "slow request: %s %s %s %.0f ms, %d SQL queries",
                request.method,
                request.path,
                response.status_code,
                ms,
                queries[0],
            )
        return response
