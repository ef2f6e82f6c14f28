"""`tandem load_eit_reference [--reference DIR] [--dry-run]`: the European List of Waste into the database."""

from pathlib import Path

from django.conf import settings

from tandem.core.commands import TandemCommand
from tandem.core.errors import UserError
from tandem.eit.engine import load_reference
from tandem.eit.reference import waste_codes_load


class Command(TandemCommand):
    help = (
        "Charge la nomenclature européenne des déchets (codes, chapitres, mention dangereux) depuis le dossier "
        "des référentiels EIT ; relancer avec les mêmes fichiers ne change rien."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reference",
            type=Path,
            default=None,
            help="dossier des référentiels EIT (par défaut TANDEM_EIT_REFERENCE_DIR)",
        )
        parser.add_argument("--dry-run", action="store_true", help="vérifier et compter, sans rien écrire")

    def handle(self, *args, **options):
        directory = options["reference"] or settings.TANDEM_EIT_REFERENCE_DIR
        if not directory:
            raise UserError(
                "Dossier des référentiels EIT non configuré : passer --reference ou définir TANDEM_EIT_REFERENCE_DIR."
            )
        counts = waste_codes_load(ref=load_reference(directory), dry_run=options["dry_run"])
        if not counts["created"] and not counts["updated"]:
            self.stdout.write(f"Nomenclature des déchets déjà à jour ({counts['unchanged']} codes).")
            return
        verb = "seraient" if options["dry_run"] else "ont été"
        self.stdout.write(
            f"Nomenclature des déchets : {counts['created']} code(s) {verb} créé(s), {counts['updated']} "
            f"{verb} modifié(s), {counts['unchanged']} inchangé(s)."
        )
