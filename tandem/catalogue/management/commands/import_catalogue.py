"""tandem import_catalogue {operators FOLDER | tee FOLDER [--extra-yaml F…] | aides-territoires FILE} [--dry-run]"""

from pathlib import Path

from tandem.catalogue.importers import aides_territoires_import, operators_import, tee_import
from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor


class Command(ImportCommand):
    help = (
        "Importe le catalogue : opérateurs et antennes (dossier operators/), programmes de la Mission "
        "Transition Écologique (dossier tee/) ou export Aides-territoires (CSV)."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["operators", "tee", "aides-territoires"])
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--extra-yaml", type=Path, nargs="*", default=[], help="programmes au format TEE en plus"
        )
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, what, path, extra_yaml, dry_run, **options):
        actor = Actor.system_actor()
        if what == "operators":
            result = operators_import(folder=path, actor=actor, dry_run=dry_run)
        elif what == "tee":
            result = tee_import(folder=path, actor=actor, extra_yaml=extra_yaml, dry_run=dry_run)
        else:
            result = aides_territoires_import(path=path, actor=actor, dry_run=dry_run)
        self.write_report(result.run)
