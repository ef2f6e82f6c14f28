from django.conf import settings


def tandem(request):
    actor = getattr(request, "actor", None)
    memberships = []
    current = None
    can_read_journal = False
    can_import_land = False
    if actor is not None and getattr(request, "user", None) is not None and request.user.is_authenticated:
        from tandem.organizations.models import Organization
        from tandem.organizations.perms import can_read_audit_log, writable_owners

        orgs = {o.pk: o for o in Organization.objects.filter(pk__in=actor.org_ids)}
        memberships = [(orgs[pk], role) for pk, role in actor.roles.items() if pk in orgs]
        current = orgs.get(actor.current_org_id)
        can_read_journal = can_read_audit_log(actor)

        # Menus offer only what the user may open; this one costs a query, so only pages that show it ask.
        def can_import_land():
            return writable_owners(actor).exists()

    return {
        "tandem_demo": settings.TANDEM_DEMO,
        "tile_url": settings.TANDEM_TILE_URL,
        "tile_attribution": settings.TANDEM_TILE_ATTRIBUTION,
        "source_url": settings.TANDEM_SOURCE_URL,
        "my_organizations": memberships,
        "current_organization": current,
        "can_read_journal": can_read_journal,
        "can_import_land": can_import_land,
    }
