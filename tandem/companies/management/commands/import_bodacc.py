"""tandem import_bodacc FILE: BODACC collective-proceeding judgments, and signals for registry companies."""

from pathlib import Path

from tandem.companies.fragility import bodacc_import
from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor


class Command(ImportCommand):
    help = "Importe des jugements de procédures collectives (BODACC) et crée les signaux de fragilité."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, file, dry_run, **options):
        result = bodacc_import(path=file, actor=Actor.system_actor(), dry_run=dry_run)
        self.write_report(result.run)
