from django.http import HttpResponse

from tandem.imports.limits import import_limits, size_text

# A multipart body carries, besides the files, the form's other fields and the part boundaries.
MULTIPART_MARGIN_BYTES = 64 * 1024


class UploadSizeMiddleware:
    """Refuse (413, in French) an upload whose announced size is over the import limit before Django reads
    the body and stores its files; each file is checked again by the forms (`check_upload`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type == "multipart/form-data":
            try:
                announced = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                announced = 0
            limit = import_limits().upload_bytes
            if announced > limit + MULTIPART_MARGIN_BYTES:
                return HttpResponse(
                    f"Envoi trop volumineux : {size_text(announced)} (limite : {size_text(limit)}). "
                    "Découpez le fichier ou compressez le Shapefile en .zip.",
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
