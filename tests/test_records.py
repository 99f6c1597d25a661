"""Loading and validating incident records."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from geodata.records import read_records
from geodata.schema import EVENT_TYPES, SIDES

HEADER = "id,date_start,date_end,date_precision,event_type,sub_event_type,sides,place,fatalities,injured\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "records.csv"
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def test_builtin_records_load_without_problems():
    result = read_records()
    assert result.problems == []
    assert result.rows_read == result.rows_accepted == 25
    records = result.records
    assert records["id"].is_unique
    assert set(records["event_type"]) <= set(EVENT_TYPES)
    sides = {s for joined in records["sides"].astype(str) for s in joined.split(";")}
    assert sides <= set(SIDES)
    assert records["date_start"].min() == pd.Timestamp("2008-02-17")
    assert records["date_end"].max() == pd.Timestamp("2008-06-28")


def test_builtin_records_keep_the_articles_figures():
    records = read_records().records.set_index("id")
    clashes = records.loc["KOS-2008-14"]
    assert clashes["fatalities"] == 1 and clashes["injured"] == 70 + 61
    assert records.loc["KOS-2008-13", "arrested"] == 53
    assert records.loc["KOS-2008-05", "injured"] == 19 and records.loc["KOS-2008-05", "participants"] == 100
    assert records.loc["KOS-2008-03", "participants"] == 2000
    assert records.loc["KOS-2008-23", "participants"] == 126
    # 'No injuries' is zero; a figure the article does not give is unknown, never zero.
    assert records.loc["KOS-2008-02", "injured"] == 0
    assert pd.isna(records.loc["KOS-2008-12", "injured"])
    # 'Several weeks before 14 March' is a range, not a guessed day.
    blockade = records.loc["KOS-2008-11"]
    assert blockade["date_precision"] == "range" and blockade["date_end"] == pd.Timestamp("2008-03-13")
    # 'After the local elections in May': from May to the end of the period, not 'May'.
    announcement = records.loc["KOS-2008-24"]
    assert announcement["date_precision"] == "range"
    assert announcement["date_start"] == pd.Timestamp("2008-05-01")
    assert announcement["date_end"] == records["date_end"].max()
    assert (records["source_section"].str.len() > 0).all()


def test_every_problem_is_reported_with_row_and_field(tmp_path):
    path = write(
        tmp_path,
        """\
        A,2008-02-30,,,Riots,,Kosovo Serbs,Mitrovica,,
        B,2008-03-05,2008-03-01,,Riots,,Kosovo Serbs,Mitrovica,,
        C,2008-03-05,,,Parade,,Kosovo Serbs,Mitrovica,,
        D,2008-03-05,,,Riots,,Kosovo Serbs,Mitrovca,,
        E,2008-03-05,,,Riots,,Kosovo Serbs,Mitrovica,-3,x
        F,2008-03-05,,,Riots,Armed clash,Kosovo Serbs,Mitrovica,,
        G,2008-03-05,,,Riots,,Kosovo Serbs,Mitrovica,0,2
        """,
    )
    result = read_records(path)
    found = {(p.row, p.field) for p in result.problems}
    assert found == {
        (2, "date_start"),
        (3, "date_end"),
        (4, "event_type"),
        (5, "place"),
        (6, "fatalities"),
        (6, "injured"),
        (7, "sub_event_type"),
    }
    messages = {(p.row, p.field): str(p) for p in result.problems}
    assert "2008-02-30" in messages[(2, "date_start")] and str(path) in messages[(2, "date_start")]
    assert "before date_start" in messages[(3, "date_end")]
    assert "did you mean 'Mitrovica'" in messages[(5, "place")]
    assert "negative" in messages[(6, "fatalities")]
    assert result.records["id"].tolist() == ["G"]
    assert result.rows_read == result.rows_accepted + result.rows_rejected == 7


def test_a_count_beyond_any_real_one_is_reported_not_a_crash(tmp_path):
    path = write(
        tmp_path,
        """\
        A,2008-03-05,,,Riots,,Kosovo Serbs,Mitrovica,9223372036854775296,
        B,2008-03-05,,,Riots,,Kosovo Serbs,Mitrovica,1000000000,1
        """,
    )
    result = read_records(path)
    assert [(p.row, p.field) for p in result.problems] == [(2, "fatalities")]
    assert "larger than any count" in str(result.problems[0]) and str(path) in str(result.problems[0])
    assert result.records["id"].tolist() == ["B"] and result.records["fatalities"].tolist() == [10**9]


def test_blank_lines_are_not_rows_and_do_not_shift_row_numbers(tmp_path):
    path = write(
        tmp_path,
        """\
        A,2008-03-05,,,Riots,,Kosovo Serbs,Mitrovica,,

        \t
        B,2008-03-05,,,Parade,,Kosovo Serbs,Mitrovica,,
        """,
    )
    result = read_records(path)
    assert [(p.row, p.field) for p in result.problems] == [(5, "event_type")]  # as a spreadsheet shows it
    assert result.rows_read == 2 and result.rows_accepted == 1 and result.rows_rejected == 1


@pytest.mark.parametrize("first_extra", [1, 2, 5])
def test_rows_longer_than_the_header_are_reported_not_cut_short(tmp_path, first_extra):
    good = "2008-03-05,,,Riots,,Kosovo Serbs,Mitrovica,,"
    path = write(
        tmp_path,
        f"""\
        A,{good}{",x" * first_extra}
        B,{good}
        C,{good},,
        D,{good},
        """,
    )
    result = read_records(path)
    unread = {p.row: p.reason for p in result.problems if p.field == "(row)"}
    assert set(unread) == {2, 4}  # C has two fields too many; D's one trailing empty field is fine
    assert f"{10 + first_extra} fields, but the header has 10" in unread[2]
    assert result.records["id"].tolist() == ["B", "D"]
    assert result.rows_read == 4 and result.rows_rejected == 2


def test_explicit_coordinates_are_checked(tmp_path):
    path = tmp_path / "coords.csv"
    path.write_text(
        "id,date_start,event_type,place,lat,lon\n"
        "A,2008-03-05,Riots,Somewhere new,42.9,20.8\n"
        "B,2008-03-05,Riots,,95,20.8\n"
        "C,2008-03-05,Riots,,42.9,abc\n",
        encoding="utf-8",
    )
    result = read_records(path)
    assert {(p.row, p.field) for p in result.problems} == {(3, "lat"), (4, "lon")}
    accepted = result.records.iloc[0]
    assert accepted["place_name"] == "Somewhere new" and accepted["lat"] == 42.9


def test_missing_required_column_and_unreadable_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,date_start\nA,2008-03-05\n", encoding="utf-8")
    result = read_records(path)
    assert [(p.row, p.field) for p in result.problems] == [(1, "event_type,place")]
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage\x00\xff")
    assert read_records(binary).problems[0].field == "(file)"


@pytest.mark.parametrize("precision", ["day", "range", "month"])
def test_date_precision_values_are_accepted(tmp_path, precision):
    path = write(tmp_path, f"A,2008-05-01,2008-05-31,{precision},Protests,,Kosovo Serbs,Pristina,,\n")
    assert read_records(path).problems == []
