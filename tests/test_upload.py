"""Uploads: the route's limits and answers, content-hash naming, the report, resolving, the
dataset apps kept per process, and an unknown or malformed hash in the URL."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from flask import Flask

from dashboard.datasets import UploadedApps, load_uploaded
from dashboard.upload import report_view, unknown_dataset_notice
from geodata.cache import CACHE_ENV_VAR
from geodata.uploads import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    UploadError,
    resolution_of,
    resolve_rows,
    safe_name,
    store_upload,
    upload_path,
    uploads_folder,
)

FIXTURE = Path(__file__).parent / "data" / "upload_places.csv"


@pytest.fixture
def cache(tmp_path, monkeypatch, boundaries_dir, geonames_path) -> Path:
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def client(dataset):
    from dashboard.app import create_app

    return create_app(dataset).server.test_client()


def post(client, data: bytes, name: str):
    return client.post("/upload", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def stored_files() -> list[Path]:
    folder = uploads_folder()
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


# --- storing ----------------------------------------------------------------------------------------


def test_an_upload_is_named_by_the_sha256_of_its_bytes(cache):
    data = FIXTURE.read_bytes()
    sha, path = store_upload(io.BytesIO(data), "../../My incidents<1>.CSV")
    assert sha == hashlib.sha256(data).hexdigest()
    assert path == uploads_folder() / sha / "My incidents_1_.csv"  # no path parts, no markup
    assert path.read_bytes() == data
    assert upload_path(sha) == path
    # The same bytes under another name are the same dataset: the first name stays.
    assert store_upload(io.BytesIO(data), "other.csv") == (sha, path)
    assert not [p for p in uploads_folder().iterdir() if p.name.startswith(".")]  # no leftovers


@pytest.mark.parametrize(
    ("data", "name", "kwargs", "message"),
    [
        (b"date,place\n" + b"2008-03-14,Banjska\n" * 5, "a.csv", {"max_bytes": 40}, "larger than the limit"),
        (b"date,place\n" + b"2008-03-14,Banjska\n" * 5, "a.csv", {"max_rows": 4}, "5 rows, more than"),
        (b"", "a.csv", {}, "the file is empty"),
        (b"date,place\n", "a.txt", {}, "upload a .csv or .xlsx file"),
    ],
)
def test_a_refused_upload_says_why_and_leaves_nothing(cache, data, name, kwargs, message):
    with pytest.raises(UploadError, match=message) as refused:
        store_upload(io.BytesIO(data), name, **kwargs)
    assert name in str(refused.value)
    assert stored_files() == []


def test_row_count_of_a_file_without_a_final_newline(cache):
    with pytest.raises(UploadError, match="3 rows"):
        store_upload(io.BytesIO(b"date,place\na,b\nc,d\ne,f"), "x.csv", max_rows=2)
    sha, _ = store_upload(io.BytesIO(b"date,place\na,b\nc,d\ne,f"), "x.csv", max_rows=3)
    assert upload_path(sha) is not None


@pytest.mark.parametrize("given", ["", "x", "../etc/passwd", "A" * 64, "0" * 63, "0" * 64 + "/x"])
def test_only_a_hex_sha256_names_an_upload(cache, given):
    assert upload_path(given) is None


def test_safe_name():
    assert safe_name("C:\\Users\\me\\data.XLSX") == "data.xlsx"
    assert safe_name("..") == "upload"
    assert safe_name(None) == "upload"


# --- the route -------------------------------------------------------------------------------------


def test_route_stores_the_file_and_names_its_hash(cache, client):
    data = FIXTURE.read_bytes()
    answer = post(client, data, "incidents.csv")
    assert answer.status_code == 200, answer.json
    sha = hashlib.sha256(data).hexdigest()
    assert answer.json == {"data": sha, "url": f"?data={sha}", "name": "incidents.csv"}
    page = client.get(f"/?data={sha}").get_data(as_text=True)
    assert f'"requests_pathname_prefix":"\\u002fd\\u002f{sha}\\u002f"' in page  # the upload's own app answers
    layout = client.get(f"/d/{sha}/_dash-layout").get_data(as_text=True)
    assert "Uploaded: incidents" in layout
    assert "5 rows read = 2 placed + 3 reported" in layout


def test_an_upload_page_takes_plotly_js_from_the_home_app(cache, client):
    """One URL for every dataset's page: the browser fetches the 3 MB bundle once, not per upload."""
    import re

    answer = post(client, FIXTURE.read_bytes(), "incidents.csv")
    sha = answer.json["data"]
    home = client.get("/").get_data(as_text=True)
    upload = client.get(f"/d/{sha}/").get_data(as_text=True)
    bundle = re.compile(r'<script defer src="([^"]+)"')
    assert bundle.search(upload).group(1) == bundle.search(home).group(1)
    assert bundle.search(upload).group(1).startswith("/_dash-component-suites/dashboard/vendor/plotly-map.v")
    assert client.get(bundle.search(upload).group(1)).status_code == 200


def test_an_upload_page_names_the_home_pages_scripts_and_styles(cache, dataset):
    """Dash's scripts, the assets and the icon: the URLs of the home page, each served, even to a first
    visitor who opens an upload before the home page, so the browser fetches them once for every dataset."""
    import re

    from dashboard.app import create_app

    client = create_app(dataset).server.test_client()  # no page rendered yet but start-up's own
    sha = post(client, FIXTURE.read_bytes(), "incidents.csv").json["data"]
    files = re.compile(r'(?:src|href)="([^"]+)"')
    upload = files.findall(client.get(f"/d/{sha}/").get_data(as_text=True))
    for url in upload:
        assert client.get(url).status_code == 200, url
    assert len([url for url in upload if url.startswith("/_dash-component-suites/dash/")]) >= 5
    assert sorted(upload) == sorted(files.findall(client.get("/").get_data(as_text=True)))


def test_route_refuses_a_request_over_the_size_limit_before_storing(cache, client):
    answer = post(client, b"x" * (MAX_UPLOAD_BYTES + 100_000), "big.csv")
    assert answer.status_code == 413
    assert answer.json == {"error": "larger than the limit of 50 MB"}
    assert stored_files() == []


def test_route_refuses_too_many_rows(cache, client):
    data = b"date,place\n" + b"2008-03-14,Zvecan\n" * (MAX_UPLOAD_ROWS + 1)
    answer = post(client, data, "many.csv")
    assert answer.status_code == 413
    assert answer.json["error"] == f"many.csv: {MAX_UPLOAD_ROWS + 1:,} rows, more than the limit of 100,000"
    assert stored_files() == []


def test_route_answers_a_request_without_a_file(cache, client):
    answer = client.post("/upload", data={}, content_type="multipart/form-data")
    assert answer.status_code == 400
    assert "no file" in answer.json["error"]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"PK\x03\x04 not really a workbook", "broken.xlsx", r"broken\.xlsx: row 1: \(file\): not readable"),
        (b"date,place\n2008-02-30,Xyzzyville\n", "nothing.csv", r"nothing\.csv: row 2: date: "),
        # A cell larger than the CSV reader takes, in the header line.
        (b"date,place" + b"x" * 200_000 + b"\n", "huge.csv", r"huge\.csv: row 1: \(file\): field larger"),
        # A huge cell in a row is named by row and field, and cut in the message.
        (
            b"date,place\n2008-03-14," + b"x" * 200_000 + b"\n",
            "cell.csv",
            r"cell\.csv: row 2: place: unknown place 'x{150,}… \(\d{3},\d{3} characters\)$",
        ),
    ],
)
def test_a_file_with_no_row_to_show_lists_its_problems_and_is_not_kept(cache, client, data, name, expected):
    answer = post(client, data, name)
    assert answer.status_code == 422
    assert answer.json["error"].startswith(f"{name}: no row could be shown")
    assert any(re.match(expected, problem) for problem in answer.json["problems"]), answer.json
    assert stored_files() == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        # Serbian Latin saved as Windows-1250: refused where it starts, by row and field.
        (
            "date,place,description\n2008-03-14,Zvecan,ok\n2008-03-15,Leposavić,x\n".encode("cp1250"),
            "cp1250.csv",
            "cp1250.csv: row 3: place: not UTF-8 (byte 0xE6; ",
        ),
        (
            "date,place\n2008-03-14,Zvečan\n".encode("utf-16"),
            "utf16.csv",
            "utf16.csv: row 1: (file): the file is UTF-16",
        ),
    ],
)
def test_a_csv_that_is_not_utf8_is_refused_naming_row_and_field(cache, client, data, name, message):
    answer = post(client, data, name)
    assert answer.status_code == 400
    assert answer.json["error"].startswith(message), answer.json
    assert "save it as CSV UTF-8" in answer.json["error"]
    assert stored_files() == []


def test_unknown_and_malformed_hashes_get_the_default_page_with_a_notice(cache, client):
    unknown = "0" * 64
    for wanted in (unknown, "not-a-hash", "../../etc"):
        page = client.get(f"/?data={wanted}").get_data(as_text=True)
        assert "/d/" not in page  # the default app's page, not an upload's
    assert "is not in this server's import cache" in unknown_dataset_notice(unknown)
    assert "is not a dataset name" in unknown_dataset_notice("../../etc")
    assert client.get(f"/d/{unknown}/_dash-layout").status_code == 404
    assert client.get(f"/d/{unknown}/").headers["Location"] == f"/?data={unknown}"


def test_the_view_parser_takes_data_as_the_dataset_not_a_stray_parameter(dataset):
    from dashboard.choices import choices_of
    from dashboard.viewstate import parse_query

    state, notices = parse_query("data=" + "ab" * 32 + "&start=2008-03-01", choices_of(dataset))
    assert notices == [] and str(state.filter.start) == "2008-03-01"


def test_the_notice_callback_on_the_default_page(cache, client):
    body = {
        "output": "..upload-notice.children...upload-panel.open..",
        "outputs": [
            {"id": "upload-notice", "property": "children"},
            {"id": "upload-panel", "property": "open"},
        ],
        # The page's clientside callback passes on the URL's 'data' (only when there is one).
        "inputs": [{"id": "upload-wanted", "property": "data", "value": "ab" * 32}],
        "changedPropIds": ["upload-wanted.data"],
        "state": [],
    }
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    response = answer.json["response"]
    assert "is not in this server's import cache" in response["upload-notice"]["children"]
    assert response["upload-panel"]["open"] is True  # the notice is not left in a closed panel


# --- the report and resolving ----------------------------------------------------------------------


def test_report_sorts_rows_and_keeps_the_count(cache):
    sha, _ = store_upload(FIXTURE.open("rb"), "incidents.csv")
    uploaded = load_uploaded(sha)
    report = uploaded.report
    assert report.rows_read == 5 and report.placed == 2
    assert report.rows_read == report.placed + len(report.ambiguous) + len(report.unknown) + len(report.bad)
    (ambiguous,) = report.ambiguous
    assert (ambiguous.file, ambiguous.row, ambiguous.field, ambiguous.place) == (
        "incidents.csv",
        2,
        "place",
        "Banjska",
    )
    assert sorted(c.municipality for c in ambiguous.candidates) == ["Vushtrri", "Zveçan"]
    (unknown,) = report.unknown
    assert unknown.place == "<img src=x onerror=alert(1)>" and unknown.row == 5
    (bad,) = report.bad
    assert (bad.row, bad.field) == (6, "date")
    # The panel names file, row and field; a cell's markup is a text child, never parsed.
    panel = str(report_view(sha, report).to_plotly_json())
    assert "incidents.csv, row 6, date: " in panel
    assert "“<img src=x onerror=alert(1)>” not found" in panel


def test_a_row_placed_by_a_close_spelling_is_listed_for_checking(cache):
    """Found by the new-user trial: 'Mitrovxyzica' was placed at Mitrovica and the report said
    nothing, so nobody could tell a guess had been made."""
    data = b"date,place,event_type\n2008-03-20,Mitrovxyzica,Riots\n2008-03-21,Zubin Potok,Riots\n"
    sha, _ = store_upload(io.BytesIO(data), "guesses.csv")
    report = load_uploaded(sha).report
    assert report.placed == 2 and report.reported == 0
    (guess,) = report.guessed
    assert (guess.file, guess.row, guess.given) == ("guesses.csv", 2, "Mitrovxyzica")
    assert "Mitrovic" in guess.taken_as and 0 < guess.score < 100
    panel = str(report_view(sha, report).to_plotly_json())
    assert "Placed by a close spelling (1)" in panel
    # Where, as every reported line says it (trial: "Row 2:" stood alone).
    assert "guesses.csv, row 2, place: " in panel and "'Mitrovxyzica' taken as" in panel


def test_resolving_a_row_gives_a_new_content_addressed_dataset(cache):
    sha, _ = store_upload(FIXTURE.open("rb"), "incidents.csv")
    resolved = resolve_rows(sha, {2: {"municipality": "Vushtrri"}})
    assert (
        resolved != sha and resolve_rows(sha, {2: {"municipality": "Vushtrri"}}) == resolved
    )  # same choice, same name
    assert resolve_rows(sha, {2: {"municipality": "Zveçan"}}) not in (sha, resolved)
    path = upload_path(resolved)
    assert path.name == "incidents.csv"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == resolved
    uploaded = load_uploaded(resolved)
    assert uploaded.report.placed == 3 and not uploaded.report.ambiguous
    assert resolution_of(resolved) == f"Resolved from {sha[:12]}… (row 2: municipality Vushtrri)."
    assert resolution_of(sha) == ""
    banjska = uploaded.dataset.incidents.query("place_name == 'Banjska'")
    assert banjska["municipality"].tolist() == ["Vushtrri"]
    with pytest.raises(UploadError, match="no row 40"):
        resolve_rows(sha, {40: {"municipality": "Vushtrri"}})


def test_uploaded_apps_are_kept_in_a_bounded_lru(cache):
    shas = [store_upload(io.BytesIO(FIXTURE.read_bytes() + b"\n" * n), "a.csv")[0] for n in range(2)]
    built: list[str] = []

    def build(uploaded):
        built.append(uploaded.sha)
        return Flask(uploaded.sha)

    apps = UploadedApps(Flask("default").wsgi_app, build, capacity=1)
    first = apps.get(shas[0])
    assert apps.get(shas[0]) is first  # kept
    apps.get(shas[1])
    assert apps.get(shas[0]) is not first  # dropped for the second, then loaded again from the cache
    assert built == [shas[0], shas[1], shas[0]]
    assert apps.get("0" * 64) is None and apps.get("nope") is None


def test_an_xlsx_upload_is_read_like_the_cli_reads_it_formulas_never_run(cache, client):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Event_Date", "Village", "Komuna", "Description"])
    sheet.append(["2008-03-14", "Banjska", "Vushtrri", '=HYPERLINK("http://example.org","click")'])
    sheet.append(["2008-03-15", "Zvečan", "", "<script>alert(1)</script>"])
    data = io.BytesIO()
    book.save(data)
    answer = post(client, data.getvalue(), "sheet.xlsx")
    assert answer.status_code == 200, answer.json
    uploaded = load_uploaded(answer.json["data"])
    assert uploaded.dataset.file_format == "places"
    incidents = uploaded.dataset.incidents.set_index("place_name")
    assert incidents.at["Banjska", "municipality"] == "Vushtrri"  # the hint column chose
    assert not incidents["description"].fillna("").str.startswith("=").any()  # the formula's text is not kept
    assert incidents.at["Zvečan", "description"] == "<script>alert(1)</script>"  # text, shown as text


def test_candidates_in_one_municipality_are_picked_by_their_coordinates(cache, client):
    # GeoNames has two villages called Bare in Leposaviq and one in Mitrovica.
    answer = post(client, b"date,place\n2008-03-14,Bare\n2008-03-15,Zvecan\n", "bare.csv")
    assert answer.status_code == 200, answer.json
    sha = answer.json["data"]
    (row,) = load_uploaded(sha).report.ambiguous
    hints = [c.hint(row.candidates) for c in row.candidates]
    assert sorted(c.municipality for c in row.candidates) == ["Leposaviq", "Leposaviq", "Mitrovica"]
    assert {"municipality": "Mitrovica"} in hints
    by_coordinates = [(c, h) for c, h in zip(row.candidates, hints, strict=True) if "lat" in h]
    assert len(by_coordinates) == 2 and len({h["lat"] for _, h in by_coordinates}) == 2
    # The panel gives each candidate its own button (one id each, or Dash refuses the page).
    layout = client.get(f"/d/{sha}/_dash-layout").get_data(as_text=True)
    assert layout.count('"type":"upload-resolve"') == 3
    chosen, hint = by_coordinates[1]
    placed = load_uploaded(resolve_rows(sha, {row.row: hint})).dataset.incidents
    bare = placed[placed["place_name"] == "Bare"]
    assert len(bare) == 1 and bare["municipality"].tolist() == ["Leposaviq"]
    assert abs(bare["lat"].iloc[0] - chosen.lat) < 1e-5 and abs(bare["lon"].iloc[0] - chosen.lon) < 1e-5


def test_resolving_says_which_rows_of_the_original_it_could_not_carry(cache):
    data = b"date,place\n2008-03-14,Banjska\n2008-03-15,Zvecan,extra,cells\n2008-03-16,Zvecan\n"
    sha, _ = store_upload(io.BytesIO(data), "short.csv")
    before = load_uploaded(sha).report
    assert [(r.row, r.field) for r in before.bad] == [(3, "(row)")]  # the reader names the row
    resolved = resolve_rows(sha, {2: {"municipality": "Zveçan"}})
    assert "1 row(s) the original could not read are not in this file: 3." in resolution_of(resolved)
    after = load_uploaded(resolved).report
    assert after.rows_read == 2 and after.placed == 2


def test_export_image_of_a_url_naming_an_upload_exports_that_upload(cache, tmp_path, capsys):
    from dashboard.cli import _upload_named_by, main

    sha, path = store_upload(FIXTURE.open("rb"), "incidents.csv")
    out = tmp_path / "view.png"
    url = f"http://127.0.0.1:8050/?data={sha}&type=Riots"
    assert main(["export-image", "--view-url", url, "--width", "400", "--height", "300", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{path}: 5 rows read" in err and "format places" in err
    assert out.read_bytes().startswith(b"\x89PNG")
    assert _upload_named_by("http://x/?data=" + "0" * 64) is None
    assert "is not in this import cache; using the built-in data" in capsys.readouterr().err
    assert _upload_named_by("http://x/?type=Riots") is None


def test_an_uploaded_incident_shows_no_empty_rows_in_its_details(cache):
    """An upload often has no actors, sides or source: those rows are left out, not shown blank."""
    from dashboard.details import details_panel

    data = (
        b"date,place,event_type,actor1\n"
        b"2008-03-19,Leposavic,Protests,\n"
        b"2008-03-20,Zvecan,Riots,Kosovo Serbs\n"
    )
    sha, _ = store_upload(io.BytesIO(data), "bare.csv")
    dataset = load_uploaded(sha).dataset
    incidents = dataset.incidents
    bare = incidents[incidents["actor1"].fillna("") == ""].iloc[0]
    rows = details_panel(bare, dataset.reactions, None, None)[3].children.children
    shown = {row.children[0].children: row.children[1].children for row in rows}
    assert {"Actors", "Sides", "Source"}.isdisjoint(shown), shown
    assert all(str(value[0]).strip() for value in shown.values()), shown
    assert shown["Injured"] == ["unknown"]  # a count not given still says so
    given = incidents[incidents["actor1"].fillna("") != ""].iloc[0]
    rows = details_panel(given, dataset.reactions, None, None)[3].children.children
    assert ["Kosovo Serbs"] in [
        row.children[1].children for row in rows if row.children[0].children == "Actors"
    ]
