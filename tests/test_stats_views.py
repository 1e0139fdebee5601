"""Follow-up pages through the URL, for the demo cast."""

import pytest
from django.urls import reverse

DASHBOARD = reverse("stats:dashboard")


@pytest.mark.parametrize("login", ["forvaltningschef", "analytiker", "namnd", "skyddsombud", "hr"])
def test_every_follower_gets_a_dashboard_with_charts(cast, login):
    response = cast.client(login).get(DASHBOARD)
    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    assert "<svg" in response.text


def test_chart_coordinates_are_plain_numbers_in_swedish_too(cast):
    """Swedish formats 204.0 as "204,0", which is no SVG length."""
    import re

    page = cast.client("forvaltningschef").get(DASHBOARD).text
    charts = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert charts
    for chart in charts:
        assert not re.search(r'="[^"]*\d,\d', chart)
