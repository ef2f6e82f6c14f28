"""`tandem eit_estimates [--epci SIREN]`: store (or refresh) the estimated flows of the registry's
establishments (docs/eit.md, « Flux estimés »)."""

from tandem.core.commands import TandemCommand
from tandem.eit.detection import territory_for_epci
from tandem.eit.estimates import estimated_flows_refresh


class Command(TandemCommand):
    help = (
        "Estime les flux (offres et besoins) des établissements sans déclaration d'après leur code NAF et leur "
        "tranche d'effectif, et les enregistre comme « estimés » ; relancé sans changement du répertoire, il ne "
        "change rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("--epci", default="", help="SIREN d'un EPCI : ses communes seulement")

    def handle(self, *args, **options):
        codes = territory_for_epci(options["epci"]).commune_codes if options["epci"] else None
        refresh = estimated_flows_refresh(commune_codes=codes, reason="commande eit_estimates")
        self.stdout.write(
            f"Flux estimés : {refresh.establishments} établissement(s) examiné(s), {refresh.created} flux créé(s), "
            f"{refresh.deleted} supprimé(s), {refresh.unchanged} établissement(s) inchangé(s)."
        )
