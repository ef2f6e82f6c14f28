from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor
from tandem.skills.importers import rome_fap_official_import, rome_fap_propose


class Command(ImportCommand):
    help = (
        "Correspondance ROME ↔ FAP 2021 : charge la nomenclature FAP 2021 et calcule la proposition (à revoir "
        "dans /competences/correspondances/), ou importe la table officielle de la Dares (--table-dares)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--nomenclature", type=Path, help="nomenclature FAP 2021 (CSV de la Dares)")
        parser.add_argument("--domaines", type=Path, help="domaines professionnels ROME (CSV, facultatif)")
        parser.add_argument("--table-dares", dest="dares", type=Path, help="table officielle ROME ↔ FAP 2021")
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        actor = Actor.system_actor()
        if options["nomenclature"]:
            result = rome_fap_propose(
                actor=actor,
                fap_path=options["nomenclature"],
                domains_path=options["domaines"],
                dry_run=options["dry_run"],
            )
            self.write_report(result.run)
        if options["dares"]:
            result = rome_fap_official_import(actor=actor, path=options["dares"], dry_run=options["dry_run"])
            self.write_report(result.run)
        if not (options["nomenclature"] or options["dares"]):
            self.stderr.write("Indiquez --nomenclature (proposition) et/ou --table-dares (table officielle).")
