from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from tandem.core.geo import STORED_GEOMETRIES
from tandem.steering.selectors import conventions_of_epci
from tandem.territories.models import Commune, Epci
from tandem.territories.selectors import (
    commune_list,
    communes_layer,
    epci_list,
    epci_regions,
    epcis_layer,
    territory_figures,
)
from tandem.www.maps import map_config


@login_required
def territory_search(request):
    q = (request.GET.get("q") or "").strip()
    region = request.GET.get("region") or None
    epcis = epci_list(q=q or None, region=region)
    communes = commune_list(q=q, region=region) if q else Commune.objects.none()
    return render(
        request,
        "www/territories/search.html",
        {
            "q": q,
            "epcis": Paginator(epcis, 50).get_page(request.GET.get("page")),
            "communes": communes[:50],
        },
    )


@login_required
def epci_detail(request, siren):
    epci = get_object_or_404(Epci, pk=siren)
    communes = epci.communes.filter(is_current=True).order_by("name")
    return render(
        request,
        "www/territories/epci.html",
        {
            "epci": epci,
            "communes": communes.defer(*STORED_GEOMETRIES),
            "figures": territory_figures(communes),
            "regions": epci_regions(epci),
            "conventions": conventions_of_epci(request.actor, epci.pk),
            "map": map_config(
                label=f"Carte de l'EPCI {epci.name} et de ses communes",
                layers={
                    "epcis": epcis_layer(Epci.objects.filter(pk=epci.pk)),
                    "communes": communes_layer(communes),
                },
                list_title="L'EPCI et ses communes",
            ),
        },
    )


@login_required
def commune_detail(request, code):
    commune = get_object_or_404(
        Commune.objects.select_related("departement", "region", "epci", "zone_emploi"), pk=code
    )
    layers = {"communes": communes_layer(Commune.objects.filter(pk=code))}
    if commune.epci_id:
        layers["epcis"] = epcis_layer(Epci.objects.filter(pk=commune.epci_id))
    config = map_config(label=f"Carte de la commune {commune.name}", layers=layers, list_title="La commune")
    return render(request, "www/territories/commune.html", {"commune": commune, "map": config})
