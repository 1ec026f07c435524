"""Palette, nearest RAL colours and Delta E over HTTP (seed 000), as a client sends them."""

import httpx
import pytest

from tests.support.api import User, register_and_login


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="colour")


def test_seed_example_red_gives_three_ral_matches(api: httpx.Client, user: User) -> None:
    response = api.post("/api/v1/color/match", headers=user.headers,
                        json={"rgb": [255, 0, 0], "top_n": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["formula"] == "CIEDE2000"
    assert body["input"]["hex"] == "#FF0000"
    matches = body["matches"]
    assert [m["rank"] for m in matches] == [1, 2, 3]
    assert all(m["code"].startswith("RAL ") and m["name"] for m in matches)
    assert matches[0]["delta_e"] <= matches[1]["delta_e"] <= matches[2]["delta_e"]
    assert matches[0]["group"] in ("red", "orange")


@pytest.mark.parametrize("colour", [{"hex": "#A72920"}, {"hex": "a72920"},
                                    {"lab": [37.687, 50.439, 36.563]}, {"ral": "ral3000"}])
def test_a_ral_colour_matches_itself(api: httpx.Client, user: User, colour: dict) -> None:
    body = api.post("/api/v1/color/match", headers=user.headers,
                    json={**colour, "top_n": 1, "formula": "ciede2000"}).json()
    assert body["matches"][0]["code"] == "RAL 3000", body
    assert body["matches"][0]["delta_e"] < 0.6


@pytest.mark.parametrize("formula", ["CIEDE2000", "CIE94", "CIE76"])
def test_every_formula_and_a_group_filter(api: httpx.Client, user: User, formula: str) -> None:
    body = api.post("/api/v1/color/match", headers=user.headers,
                    json={"hex": "#336699", "top_n": 4, "formula": formula,
                          "group": "blue"}).json()
    assert body["formula"] == formula and len(body["matches"]) == 4
    assert {m["group"] for m in body["matches"]} == {"blue"}


@pytest.mark.parametrize("payload", [
    {}, {"rgb": [255, 0]}, {"rgb": [256, 0, 0]}, {"rgb": [1, 2, 3], "hex": "#010203"},
    {"lab": [120, 0, 0]}, {"hex": "#12345"}, {"rgb": [1, 2, 3], "top_n": 0},
    {"rgb": [1, 2, 3], "formula": "CMC"}, {"rgb": [1, 2, 3], "group": "pink"},
])
def test_bad_match_requests_are_refused_clearly(api: httpx.Client, user: User,
                                                payload: dict) -> None:
    response = api.post("/api/v1/color/match", headers=user.headers, json=payload)
    assert response.status_code in (400, 422), response.text
    assert response.json()["detail"]


def test_unknown_ral_in_a_match_is_404(api: httpx.Client, user: User) -> None:
    response = api.post("/api/v1/color/match", headers=user.headers, json={"ral": "RAL 3006"})
    assert response.status_code == 404 and "RAL 3006" in response.json()["detail"]


def test_palette_lists_213_colours_with_their_reference(api: httpx.Client, user: User) -> None:
    body = api.get("/api/v1/palette", headers=user.headers).json()
    assert body["count"] == 213 == len(body["colors"])
    assert body["lab_reference"]["illuminant"] == "D65"
    assert "10°" in body["lab_reference"]["observer"]
    first = body["colors"][0]
    assert set(first) >= {"code", "name", "group", "lab", "rgb", "hex", "in_srgb_gamut"}
    greens = api.get("/api/v1/palette", headers=user.headers, params={"group": "green"}).json()
    assert greens["count"] == 36 and {c["group"] for c in greens["colors"]} == {"green"}
    named = api.get("/api/v1/palette", headers=user.headers, params={"name": "traffic"}).json()
    assert named["count"] >= 8 and all("Traffic" in c["name"] for c in named["colors"])
    assert api.get("/api/v1/palette", headers=user.headers,
                   params={"group": "pink"}).status_code == 422


@pytest.mark.parametrize("spelling", ["RAL 3000", "ral3000", "3000", "RAL3000"])
def test_palette_colour_spellings(api: httpx.Client, user: User, spelling: str) -> None:
    response = api.get(f"/api/v1/palette/{spelling}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["color"]["code"] == "RAL 3000"


@pytest.mark.parametrize("spelling", ["RAL 3006", "12345", "flame"])
def test_unknown_palette_colour_is_404(api: httpx.Client, user: User, spelling: str) -> None:
    response = api.get(f"/api/v1/palette/{spelling}", headers=user.headers)
    assert response.status_code == 404 and response.json()["detail"]


def test_delta_e_between_a_ral_colour_and_a_hex(api: httpx.Client, user: User) -> None:
    response = api.post("/api/v1/color/delta-e", headers=user.headers,
                        json={"color1": {"lab": [50, 2.6772, -79.7751]},
                              "color2": {"lab": [50, 0, -82.7485]}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["delta_e"] == pytest.approx(2.0425, abs=1e-4)  # Sharma et al., pair 1
    assert body["perception"] == "perceptible at a glance"
    same = api.post("/api/v1/color/delta-e", headers=user.headers,
                    json={"color1": {"ral": "RAL 3000"}, "color2": {"ral": "3000"},
                          "formula": "CIE76"}).json()
    assert same["delta_e"] == 0 and same["formula"] == "CIE76"


def test_delta_e_needs_both_colours(api: httpx.Client, user: User) -> None:
    response = api.post("/api/v1/color/delta-e", headers=user.headers,
                        json={"color1": {"hex": "#FFFFFF"}})
    assert response.status_code == 422


def test_colour_routes_need_a_token(api: httpx.Client) -> None:
    assert api.get("/api/v1/palette").status_code == 401
    assert api.post("/api/v1/color/match", json={"rgb": [1, 2, 3]}).status_code == 401
