"""The command line, run as a user runs it: a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_help_explains_every_subcommand():
    result = run("--help")
    assert result.returncode == 0
    for command in ("data", "validate", "serve"):
        assert command in result.stdout
    data_help = run("data", "--help").stdout
    for option in ("--start", "--end", "--event-type", "--side", "--municipality", "--format", "--output"):
        assert option in data_help


def test_data_csv_filtered(boundaries_dir):
    result = run("data", "--start", "2008-03-17", "--end", "2008-03-17", "--event-type", "Riots")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ["KOS-2008-14"]
    assert rows[0]["municipality"] == "North Mitrovica" and rows[0]["injured"] == "131"


def test_a_repeated_filter_option_adds_its_values(boundaries_dir, incidents):
    def ids(*options: str) -> list[str]:
        result = run("data", *options)
        assert result.returncode == 0, result.stderr
        return [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))]

    together = ids("--event-type", "Riots", "Protests")
    assert together == ids("--event-type", "Riots", "--event-type", "Protests")
    assert len(together) == int(incidents["event_type"].isin(["Riots", "Protests"]).sum())


def test_data_geojson_has_join_properties(boundaries_dir, tmp_path):
    out = tmp_path / "north.geojson"
    result = run("data", "--format", "geojson", "--municipality", "North Kosovo", "--output", str(out))
    assert result.returncode == 0, result.stderr
    collection = json.loads(out.read_text(encoding="utf-8"))
    features = collection["features"]
    assert features and all(f["properties"]["north_kosovo"] for f in features)
    jarinje = next(f for f in features if f["properties"]["place"] == "jarinje")
    # Names in English by default; the boundary layer's own name beside it (the join key).
    assert jarinje["properties"]["municipality"] == "Leposavić" and jarinje["properties"]["snapped"] is False
    assert jarinje["properties"]["municipality_layer_name"] == "Leposaviq"
    assert jarinje["properties"]["district"] == "Mitrovica"
    assert jarinje["geometry"]["type"] == "Point"
    assert {"municipality", "district", "north_kosovo", "snapped", "description"} <= set(
        jarinje["properties"]
    )


def test_data_lang_names_places_and_municipalities_and_keeps_the_layer_names(boundaries_dir):
    result = run("data", "--lang", "sq", "--event-type", "Riots", "--municipality", "Mitrovicë e Veriut")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {r["municipality"] for r in rows} == {"Mitrovicë e Veriut"}
    assert {r["municipality_layer_name"] for r in rows} == {"North Mitrovica"}
    assert {r["place_name"] for r in rows} == {"Gjykata e Mitrovicës"}
    assert run("data", "--lang", "de").returncode == 2  # argparse names the choices


def test_bad_date_option_is_a_clear_error():
    result = run("data", "--start", "2008-13-01")
    assert result.returncode == 2
    assert "'2008-13-01' is not a date" in result.stderr


def test_validate_builtin_is_clean():
    from geodata.records import builtin_records_path

    result = run("validate", str(builtin_records_path()))
    assert result.returncode == 0
    assert "25 rows read, 25 accepted, 0 rejected" in result.stderr


def test_validate_reports_every_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,date_start,event_type,place,injured\n"
        "A,2008-02-31,Riots,Mitrovica,\n"
        "B,2008-03-01,Riots,Atlantis,-1\n",
        encoding="utf-8",
    )
    result = run("validate", str(path))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"{path}: row 2: date_start: '2008-02-31' is not a real date in YYYY-MM-DD form",
        f"{path}: row 3: injured: -1 is negative",
        lines[2],
    ]
    assert lines[2].startswith(f"{path}: row 3: place: unknown place 'Atlantis'")
    assert "2 rows read, 0 accepted, 2 rejected" in result.stderr


def test_serve_with_bad_data_fails_with_report(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,date_start,event_type,place\nA,yesterday,Riots,Mitrovica\n", encoding="utf-8")
    result = run("serve", "--data", str(path), "--port", "1")
    assert result.returncode == 1
    assert "row 2: date_start" in result.stderr and "Traceback" not in result.stderr


def test_filter_values_match_whatever_their_case_accents_or_language(boundaries_dir):
    """'riots' finds Riots and 'Mitrovicë e Veriut' (Shqip) North Mitrovica; a value that matches
    nothing is an error naming the option and its values, not an empty file that looks like an answer."""

    def ids(*options: str) -> list[str]:
        result = run("data", *options)
        assert result.returncode == 0, result.stderr
        return [row["id"] for row in csv.DictReader(io.StringIO(result.stdout))]

    riots = ids("--event-type", "Riots", "--municipality", "North Mitrovica")
    assert riots and ids("--event-type", "riots", "--municipality", "Mitrovicë e Veriut") == riots
    wrong = run("data", "--event-type", "riotz")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert "--event-type 'riotz' matches nothing in this data; it may be one of: Battles," in wrong.stderr


def test_outputs_into_a_folder_that_is_not_there_yet(boundaries_dir, tmp_path):
    """README's commands write into docs/: run from a folder without one (outside the checkout) they
    raised FileNotFoundError with a traceback. The folder is created."""
    from PIL import Image

    def in_folder(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dashboard.cli", *args],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=tmp_path,
        )

    url = "http://127.0.0.1:8050/?start=2008-03-01&end=2008-03-31&sel=KOS-2008-14"
    result = in_folder(
        "export-image", "--view-url", url, "--width", "400", "--height", "300", "-o", "docs/x.png"
    )
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "docs" / "x.png") as image:
        assert image.format == "PNG" and image.size == (400, 300)
    result = in_folder("data", "--event-type", "Riots", "-o", "out/riots/riots.csv")
    assert result.returncode == 0, result.stderr
    assert len(list(csv.DictReader((tmp_path / "out/riots/riots.csv").open(encoding="utf-8")))) >= 1
    # A folder that cannot be made (a file stands in its way): one line naming it, no traceback.
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    for command in (["data"], ["export-image", "--width", "400", "--height", "300"]):
        result = in_folder(*command, "-o", "taken/x.png" if command != ["data"] else "taken/x.csv")
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "taken" in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2, result.stderr
    # A file that cannot be written (a folder by that name): the same.
    (tmp_path / "a-folder.csv").mkdir()
    result = in_folder("data", "-o", "a-folder.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr and "a-folder.csv" in result.stderr
