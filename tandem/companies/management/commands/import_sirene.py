"""tandem import_sirene FILE… [--departements 08,10,…]: SIRENE stock files into the registry."""

from pathlib import Path

from tandem.companies.fragility import registry_signals_create
from tandem.companies.sirene_format import detect_kind
from tandem.companies.sirene_import import read_header, sirene_import
from tandem.core.errors import UserError
from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor

ORDER = {"etablissement": 0, "unite_legale": 1, "geolocalisation": 2}


class Command(ImportCommand):
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
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, files, departements, sans_signaux, dry_run, **options):
        deps = [code.strip() for code in departements.split(",") if code.strip()] or None
        actor = Actor.system_actor()
        # Establishments first: legal units are then kept for the companies of the territory.
        files = sorted(
            files, key=lambda f: ORDER.get(detect_kind(read_header(f)[0]) if f.exists() else "", 9)
        )
        for path in files:
            result = sirene_import(path=path, actor=actor, departements=deps, dry_run=dry_run)
            if not sans_signaux and not dry_run:
                try:
                    signals = registry_signals_create(run=result.registry)
                except UserError as exc:
                    # The registry is imported; only the alerts wait for a Région organisation to own them.
                    self.stderr.write(f"Aucun signal créé : {exc}")
                    signals = []
                result.registry.signals_created = len(signals)
                result.registry.save(update_fields=["signals_created"])
                self.stdout.write(f"{path.name} : {len(signals)} signal(aux) créé(s)")
            self.write_report(result.run)
