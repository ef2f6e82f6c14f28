from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor
from tandem.skills.importers import tension_import


class Command(ImportCommand):
    help = "Importe les indicateurs de tension par métier (ROME) et bassin d'emploi, et la table communes → bassins 2019."

    def add_arguments(self, parser):
        parser.add_argument("--tensions", required=True, type=Path, help="indicateurs de tension (CSV « ; »)")
        parser.add_argument("--bassins", required=True, type=Path, help="table communes → bassins 2019 (CSV)")
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        result = tension_import(
            actor=Actor.system_actor(),
            tensions_path=options["tensions"],
            bassins_path=options["bassins"],
            dry_run=options["dry_run"],
        )
        self.write_report(result.run)
