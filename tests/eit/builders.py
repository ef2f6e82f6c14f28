"""Builders for the EIT tests: fictitious companies placed in real communes, their flows through the service."""

from tandem.eit.services import flow_create
from tandem.organizations.models import Membership
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company, make_establishment

STRASBOURG, SCHILTIGHEIM, METZ = "67482", "67447", "57463"


def facilitator(org, user):
    """Mark `user`'s membership of `org` as « animateur EIT »."""
    Membership.objects.filter(organization=org, user=user).update(is_eit_facilitator=True)
    return user


def actor_of(user):
    return Actor.for_user(user)


def located_company(commune_code: str, *, name: str, naf: str = "24.10Z", lat=None, lon=None):
    """A company with one establishment in `commune_code`, placed at (lat, lon) (WGS84)."""
    from tandem.core.geo import lambert93_xy

    company = make_company(commune_code, name=name, naf=naf)
    est = company.establishments.get()
    if lat is not None:
        x, y = lambert93_xy(lon, lat)
        est.lambert_x, est.lambert_y, est.latitude, est.longitude = x, y, lat, lon
        est.naf = naf
        est.save()
        est.refresh_from_db()
    return company, est


def add_flow(user, org, establishment, **fields):
    return flow_create(actor=actor_of(user), owner=org, establishment=establishment, **fields)


__all__ = ["make_establishment"]
