"""`tandem import_emissions eutl|icpe|irep FILE… [--dry-run]`: installations and emissions through the import
framework (French report; a dry run writes nothing; re-importing the same files changes nothing)."""

from pathlib import Path

from django.core.management.base import CommandError

from tandem.decarbonation.importers import eutl_import, icpe_import, irep_import
from tandem.decarbonation.services import links_refresh
from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor


class Command(ImportCommand):
    help = (
        "Importe les installations industrielles et leurs émissions : « eutl » (extrait EUTL des installations "
        "SEQE-UE, avec --positions pour le fichier géocodé), « icpe » (table Géorisques des installations "
        "classées), « irep » (etablissements.csv puis emissions.csv). Les liens vers les établissements SIRENE "
        "sont recalculés ensuite (les liens confirmés sont conservés)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", choices=["eutl", "icpe", "irep"], help="source du fichier")
        parser.add_argument("files", nargs="+", type=Path, help="fichier(s) CSV")
        parser.add_argument(
            "--positions", type=Path, default=None, help="EUTL : fichier géocodé (emissions-FR-geo.csv)"
        )
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        actor, files, dry_run = Actor.system_actor(), options["files"], options["dry_run"]
        if options["source"] == "eutl":
            run = eutl_import(path=files[0], points_path=options["positions"], actor=actor, dry_run=dry_run)
        elif options["source"] == "icpe":
            run = icpe_import(path=files[0], actor=actor, dry_run=dry_run)
        else:
            if len(files) != 2:
                raise CommandError("IREP : deux fichiers attendus, etablissements.csv puis emissions.csv.")
            run = irep_import(sites_path=files[0], emissions_path=files[1], actor=actor, dry_run=dry_run)
        self.write_report(run)
        if not dry_run:
            counts = links_refresh()
            self.stdout.write(
                f"Liens vers les établissements : {counts['auto']} sûrs, {counts['proposed']} à confirmer, "
                f"{counts['kept']} confirmés conservés."
            )
