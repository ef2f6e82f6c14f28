from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor
from tandem.skills.importers import rome_import


class Command(ImportCommand):
    help = "Importe le référentiel ROME de France Travail (codes et appellations)."

    def add_arguments(self, parser):
        parser.add_argument("--codes", required=True, type=Path, help="fichier des codes ROME (CSV)")
        parser.add_argument("--appellations", required=True, type=Path, help="fichier des appellations (CSV)")
        parser.add_argument(
            "--millesime", dest="rome_version", default="", help="version du référentiel, ex. 4.60"
        )
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        result = rome_import(
            actor=Actor.system_actor(),
            codes_path=options["codes"],
            titles_path=options["appellations"],
            version=options["rome_version"],
            dry_run=options["dry_run"],
        )
        self.write_report(result.run)
