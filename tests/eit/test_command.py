"""`tandem synergy_suggest`: reads a CSV of establishments, touches no database, answers in French."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

HEADER = "id;name;activity;naf;latitude;longitude\n"


def run(path, *args, eit_dir):
    out = io.StringIO()
    call_command("synergy_suggest", str(path), "--reference", str(eit_dir), *args, stdout=out)
    return out.getvalue()


def test_suggestions_without_coordinates_have_no_distance(tmp_path, eit_dir):
    path = tmp_path / "actors.csv"
    path.write_text(
        HEADER
        + "acier;Aciérie de Lorraine;Steelworks;;;\n"
        + "ciment;Ciments du Rhin;Cement plant;;;\n"
        + "fromage;Fromagerie;Fromagerie industrielle;;;\n"
        + "ville;Quartier;Urban entity;;;\n",
        encoding="utf-8",
    )
    rows = json.loads(run(path, "--limit", "50", eit_dir=eit_dir))
    assert 0 < len(rows) <= 50
    assert set(rows[0]) == {"supplier", "receiver", "kind", "ewc", "label", "score", "reasons"}
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    pairs = {(r["supplier"], r["receiver"], r["ewc"]) for r in rows}
    assert ("acier", "ciment", "10 02") in pairs  # steel slag to the cement plant
    heat = [
        r for r in rows if r["supplier"] == "acier" and r["receiver"] == "ville" and r["kind"] == "chaleur"
    ]
    assert heat and "échange direct" in heat[0]["reasons"][0]
    assert not any("distance" in reason for r in rows for reason in r["reasons"])
    assert all(r["supplier"] != r["receiver"] for r in rows)
    # one lead per offer and receiver (the slag is not proposed twice to the cement plant)
    leads = [(r["supplier"], r["receiver"], r["ewc"], r["label"]) for r in rows]
    assert len(set(leads)) == len(leads)
    assert all(r["label"][:1].isupper() for r in rows)


def test_coordinates_make_distance_a_criterion_and_csv_output(tmp_path, eit_dir):
    path = tmp_path / "actors.csv"
    path.write_text(
        HEADER + "1;Aciérie;Steelworks;24.10Z;49.25;6.10\n2;Cimenterie;Cimenterie;;49.30;6.15\n",
        encoding="utf-8",
    )
    out = run(path, "--format", "csv", eit_dir=eit_dir)
    lines = out.splitlines()
    assert lines[0] == "supplier;receiver;kind;ewc;label;score;reasons"
    slag = [line for line in lines if line.startswith("1;2;matière;10 02;")]
    assert slag and "distance routière estimée" in slag[0]


def test_bad_input_is_refused_naming_file_line_and_field(tmp_path, eit_dir):
    path = tmp_path / "etablissements.csv"
    path.write_text(
        HEADER + "1;A;Refinery;;49,1;6.2\n2;B;;;;\n3;C;Cement plant;;abc;6\n1;D;Brasserie;XX;;\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as caught:
        run(path, eit_dir=eit_dir)
    text = str(caught.value)
    assert text.startswith("Fichier des établissements refusé")
    assert "etablissements.csv, ligne 3, champ « activity » : activité obligatoire" in text
    assert (
        "etablissements.csv, ligne 4, champ « latitude » : nombre décimal attendu (valeur : « abc »)" in text
    )
    assert (
        "etablissements.csv, ligne 5, champ « id » : identifiant déjà utilisé ligne 2 (valeur : « 1 »)"
        in text
    )
    assert "etablissements.csv, ligne 5, champ « naf » : code NAF/NACE attendu" in text


def test_missing_columns_and_reference_dir(tmp_path, eit_dir):
    path = tmp_path / "actors.csv"
    path.write_text("id,activity\n1,Refinery\n", encoding="utf-8")
    with pytest.raises(
        CommandError, match="actors.csv, ligne 1, champ « activity » : colonne obligatoire absente"
    ):
        run(path, eit_dir=eit_dir)
    path.write_text(HEADER + "1;A;Refinery;;;\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Dossier des référentiels EIT introuvable"):
        call_command(
            "synergy_suggest", str(path), "--reference", str(tmp_path / "absent"), stdout=io.StringIO()
        )
