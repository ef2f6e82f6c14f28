def restrict_admin_to_platform_admins(site) -> None:
    """The Django admin is for platform administrators only; anyone else gets the login page."""

    def has_permission(request):
        return request.user.is_active and request.user.is_superuser

    site.has_permission = has_permission
    site.site_header = "Administration de Tandem"
    site.site_title = "Tandem"
