"""tandem import_sirene FILE… [--departements 08,10,…]: SIRENE stock files into the registry."""

from pathlib import Path

from tandem.companies.fragility import registry_signals_create
from tandem.companies.sirene_format import detect_kind
from tandem.companies.sirene_import import read_header, sirene_import
from tandem.core.commands import TandemCommand
from tandem.core.errors import UserError
from tandem.organizations.perms import Actor

ORDER = {"etablissement": 0, "unite_legale": 1, "geolocalisation": 2}


class Command(TandemCommand):
    help = (
        "Importe des fichiers du stock SIRENE (StockEtablissement, StockUniteLegale, stock géolocalisé), "
        "filtrés aux départements donnés (par défaut ceux des organisations Région)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--departements", default="", help="codes séparés par des virgules, ex. 08,10,51")
        parser.add_argument(
            "--sans-signaux",
            action="store_true",
            help="ne pas créer de signaux (fermetures, baisses d'effectif)",
        )

    def handle(self, *args, files, departements, sans_signaux, **options):
        deps = [code.strip() for code in departements.split(",") if code.strip()] or None
        actor = Actor.system_actor()
        # Establishments first: legal units are then kept for the companies of the territory.
        files = sorted(
            files, key=lambda f: ORDER.get(detect_kind(read_header(f)[0]) if f.exists() else "", 9)
        )
        for path in files:
            result = sirene_import(path=path, actor=actor, departements=deps)
            run = result.run
            if not sans_signaux:
                try:
                    signals = registry_signals_create(run=run)
                except UserError as exc:
                    # The registry is imported; only the alerts wait for a Région organisation to own them.
                    self.stderr.write(f"Aucun signal créé : {exc}")
                    signals = []
                run.signals_created = len(signals)
                run.save(update_fields=["signals_created"])
            self.stdout.write(
                f"{path.name} : {run.rows_read} lignes lues, {run.rows_in_territory} du territoire, "
                f"{run.created} créées, {run.updated} modifiées, {run.unchanged} inchangées, "
                f"{run.rows_rejected} rejetées, {run.changes_recorded} changements, "
                f"{run.signals_created} signaux ({run.duration_s:.1f} s)"
            )
            for problem in result.problems[:50]:
                self.stderr.write(f"  - {problem}")
            if len(result.problems) > 50:
                self.stderr.write(f"  … et {len(result.problems) - 50} autre(s) problème(s)")
