from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tandem.core.health import health_status


@never_cache
@require_GET
def health(request):
    """Load-balancer health check, no login: 200 when the database and the job queue answer, else 503."""
    healthy, details = health_status()
    return JsonResponse(
        {"etat": "ok" if healthy else "indisponible", **details}, status=200 if healthy else 503
    )
