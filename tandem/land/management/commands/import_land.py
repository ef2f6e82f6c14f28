"""tandem import_land FILE… [--epci SIREN] [--producteur SLUG] [--dry-run] [--skip-invalid] [--set COLUMN=VALUE]
[--rename OLD=NEW] [--rejects FILE]"""

from pathlib import Path

from tandem.core.errors import UserError
from tandem.imports.commands import ImportCommand
from tandem.land.services import land_import
from tandem.land.tasks import land_matching_prepare
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor


class Command(ImportCommand):
    help = (
        "Importe un inventaire CNIG Sites économiques (les quatre tables) ou un fichier CNIG Friches "
        "(CSV, GeoJSON, GeoPackage, Shapefile zippé). Tout ou rien, sauf --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--epci", help="SIREN de l'EPCI producteur (Sites économiques)")
        parser.add_argument("--dry-run", action="store_true", help="valider et comparer sans rien écrire")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="écrire les lignes valides, rejeter les autres"
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="COLONNE=VALEUR",
            help="remplir une colonne pour tout le fichier (enregistré dans la provenance)",
        )
        parser.add_argument(
            "--rename",
            action="append",
            default=[],
            metavar="ANCIENNE=STANDARD",
            help="lire une colonne du fichier comme une colonne du standard (ex. proprio_type(catpro3)=proprio_type)",
        )
        parser.add_argument(
            "--producteur",
            metavar="ORGANISATION",
            help="identifiant (slug) du service de l'État ou de la Région producteur d'un fichier Friches : "
            "les friches lui appartiennent, placées dans l'EPCI de leur commune",
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            help="fichier CSV des lignes rejetées (défaut : rejets.csv à côté du 1er fichier)",
        )

    def handle(self, *args, **options):
        sets = {}
        for item in options["set"]:
            column, sep, value = item.partition("=")
            if not sep or not column.strip():
                raise UserError(f"--set attend COLONNE=VALEUR (reçu : « {item} »)")
            sets[column.strip()] = value.strip()
        renames = {}
        for item in options["rename"]:
            old, sep, new = item.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise UserError(f"--rename attend ANCIENNE=STANDARD (reçu : « {item} »)")
            renames[old.strip()] = new.strip()
        producer_id = None
        if options["producteur"]:
            producer = Organization.objects.filter(slug=options["producteur"]).first()
            if producer is None:
                raise UserError(f"--producteur : organisation inconnue « {options['producteur']} »")
            producer_id = producer.pk
        for path in options["files"]:
            if not path.exists():
                raise UserError(f"Fichier introuvable : {path}")
        report = land_import(
            paths=options["files"],
            actor=Actor.system_actor(),
            epci_siren=options["epci"],
            dry_run=options["dry_run"],
            skip_invalid=options["skip_invalid"],
            sets=sets,
            renames=renames,
            producer_id=producer_id,
        )
        if report.rejects_csv and options["skip_invalid"]:
            target = options["rejects"] or options["files"][0].with_name("rejets.csv")
            target.write_text(report.rejects_csv, encoding="utf-8")
            self.stdout.write(f"Lignes rejetées et motifs : {target}")
        for vintage in report.vintages:
            self.stdout.write(f"Nouveau millésime : {vintage}")
        if report.written:
            land_matching_prepare()  # the matching's arrays of the new data, for every web process
        self.write_report(report.run)
