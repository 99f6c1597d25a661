"""Text from data files is shown as text: a script in a description runs nowhere."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import NoAlertPresentException

from dashboard.app import create_app
from dashboard.figures import TRACE_INDEX
from geodata.dataset import load_dataset
from tests.browser import wait_map_loaded

pytestmark = pytest.mark.browser

PAYLOAD = "<img src=x onerror=alert(1)>"


def test_html_in_a_description_displays_literally(dash_duo, tmp_path, boundaries_dir):
    records = tmp_path / "hostile.csv"
    records.write_text(
        "id,date_start,event_type,place,lat,lon,description,actor1\n"
        f'H-1,2008-03-01,Riots,"{PAYLOAD}",42.89,20.87,"{PAYLOAD}","<b>bold</b> actor"\n',
        encoding="utf-8",
    )
    dash_duo.start_server(create_app(load_dataset(records)))
    dash_duo.wait_for_text_to_equal("#incident-count b", "1", timeout=20)
    wait_map_loaded(dash_duo)
    dash_duo.find_element("#next-button").click()
    dash_duo.wait_for_contains_text("#incident-details", PAYLOAD, timeout=10)
    assert "<b>bold</b> actor" in dash_duo.find_element("#incident-details").text
    assert dash_duo.find_elements("#incident-details img, #incident-table img") == []
    assert PAYLOAD in dash_duo.find_element("#incident-table").text
    with pytest.raises(NoAlertPresentException):
        dash_duo.driver.switch_to.alert.text  # noqa: B018 - raises when no alert ran
    hover = dash_duo.driver.execute_script(
        "return document.querySelector('#map .js-plotly-plot')._fullData[arguments[0]].text[0]",
        TRACE_INDEX["incidents"],
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in hover  # the place name, escaped for Plotly
