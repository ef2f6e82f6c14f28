from django.contrib import admin
from django.urls import include, path

from tandem.www.admin_site import restrict_admin_to_platform_admins
from tandem.www.views.health import health

restrict_admin_to_platform_admins(admin.site)

urlpatterns = [
    path("sante/", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tandem.api.urls")),
    path("ogc/", include("tandem.ogc.urls")),
    path("", include("tandem.www.urls")),
]
handler404 = "tandem.www.views.errors.not_found"
handler400 = "tandem.www.views.errors.bad_request"
handler403 = "tandem.www.views.errors.forbidden"
handler500 = "tandem.www.views.errors.server_error"
