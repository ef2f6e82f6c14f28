"""tandem import_bodacc FILE: BODACC collective-proceeding judgments, and signals for registry companies."""

from pathlib import Path

from tandem.companies.fragility import bodacc_import
from tandem.core.commands import TandemCommand
from tandem.organizations.perms import Actor


class Command(TandemCommand):
    help = "Importe des jugements de procédures collectives (BODACC) et crée les signaux de fragilité."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        result = bodacc_import(path=file, actor=Actor.system_actor())
        run = result.run
        self.stdout.write(
            f"{file.name} : {run.rows_read} jugements lus, {result.announcements_created} nouveaux, "
            f"{run.rows_in_territory} concernant des entreprises du répertoire, {len(result.signals)} signaux créés"
        )
        for warning in result.warnings:
            self.stderr.write(f"  - {warning}")
