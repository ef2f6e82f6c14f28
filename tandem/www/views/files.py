"""Files generated for the signed-in user (exports, PDFs): served at once when small, else prepared by the job
worker and followed on a page of their own (`tandem.core.files`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core.errors import UserError
from tandem.core.files import (
    generated_file_cancel,
    generated_file_for,
    generated_file_inline,
    generated_file_open,
    generated_file_request,
)


def file_response(
    request, *, kind: str, params: dict, size: int, limit: int, label: str, file_name: str, content_type: str
) -> HttpResponse:
    """The file itself when `size` (rows, sites…) is at most `limit`, else a redirect to its progress page."""
    if size <= limit:
        response = HttpResponse(
            generated_file_inline(actor=request.actor, kind=kind, params=params), content_type=content_type
        )
        response["Content-Disposition"] = f'attachment; filename="{file_name}"'
        return response
    generated = generated_file_request(
        actor=request.actor,
        kind=kind,
        params=params,
        label=label,
        file_name=file_name,
        content_type=content_type,
    )
    return redirect("www:generated_file_detail", pk=generated.pk)


@login_required
def generated_file_detail(request, pk):
    generated = generated_file_for(user=request.user, file_id=pk)
    return render(request, "www/files/detail.html", {"generated": generated})


@login_required
def generated_file_download(request, pk):
    generated = generated_file_for(user=request.user, file_id=pk)
    try:
        stored = generated_file_open(generated=generated)
    except UserError as exc:
        messages.error(request, exc.message)
        return render(request, "www/files/detail.html", {"generated": generated}, status=410)
    return FileResponse(
        stored, as_attachment=True, filename=generated.file_name, content_type=generated.content_type
    )


@require_POST
@login_required
def generated_file_cancel_view(request, pk):
    generated = generated_file_for(user=request.user, file_id=pk)
    generated_file_cancel(generated=generated)
    messages.success(request, "Préparation du fichier annulée.")
    return redirect("www:generated_file_detail", pk=generated.pk)
