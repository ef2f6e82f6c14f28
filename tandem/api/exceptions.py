from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tandem.core.errors import NotAllowed, UserError


def exception_handler(exc, context):
    """User errors answer 400 in French; an action refused on a visible object 403 with its French message;
    404 never says what was asked for."""
    if isinstance(exc, NotAllowed):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, UserError):
        return Response(
            {"detail": exc.message, "problems": [str(p) for p in exc.problems]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        return Response({"detail": "Introuvable."}, status=status.HTTP_404_NOT_FOUND)
    return drf_exception_handler(exc, context)
