"""The web page and the API calls it makes, through the real app (TestClient runs the start-up)."""

import re
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tiny_models import FIXTURE_CORPUS
from writing7.inference.attribution import Attributor
from writing7.serve.app import create_app
from writing7.serve.page import PAGE_FILES, STATIC_DIRECTORY

from writing7.config.serve import ServeConfig

REPOSITORY = Path(__file__).resolve().parents[2]
CANDIDATE_BOOKS = {"grey-zane": ["desert-gold.txt"], "stevenson-robert-louis": ["kidnapped.txt"], "jerome-jerome-k": ["three-men-in-a-boat.txt"]}


def book(author, title):
    from writing7.corpus import read_book

    return read_book(FIXTURE_CORPUS / author / title).text


@pytest.fixture(scope="module")
def candidates_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("candidates")
    for author, titles in CANDIDATE_BOOKS.items():
        (root / author).mkdir()
        for title in titles:
            (root / author / title).write_text(book(author, title), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def keyed_client(attribution_model_dir, candidates_dir, tmp_path_factory):
    """The service with an API key, an attribution calibration and configured candidates."""
    app = create_app(attribution_model_dir, config=LIMITS, api_key="s3cret", candidates_dir=candidates_dir,
                     cache_dir=tmp_path_factory.mktemp("cache"))
    with TestClient(app) as client:
        yield client


KEY = {"X-API-Key": "s3cret"}
LIMITS = ServeConfig(max_document_characters=60_000, max_batch_items=8, max_body_bytes=400_000, max_wait_ms=2.0)


def query_text():
    return " ".join(book("grey-zane", "riders-of-the-purple-sage.txt").split()[200:1200])


def test_page_is_served_without_a_key_and_is_self_contained(keyed_client):
    page = keyed_client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    for needed in ('<html lang="en">', 'name="viewport"', 'href="/static/page.css"', 'src="/static/page.js"', 'id="compare-button"',
                   '<label for="text-a">', '<label for="text-b">', 'id="api-key"', 'role="tablist"'):
        assert needed in html
    for name in PAGE_FILES:
        served = keyed_client.get(f"/static/{name}")
        assert served.status_code == 200
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", served.text), f"{name} loads something from elsewhere"
        assert "@import" not in served.text and "fonts.googleapis" not in served.text


def test_every_element_the_script_uses_is_on_the_page():
    html = (STATIC_DIRECTORY / "index.html").read_text(encoding="utf-8")
    script = (STATIC_DIRECTORY / "page.js").read_text(encoding="utf-8")
    identifiers = set(re.findall(r'getElementById\("([\w-]+)"\)', script))
    assert identifiers and all(f'id="{identifier}"' in html for identifier in identifiers)
    for path in re.findall(r'api\("(/v1/[\w/-]+)"', script):  # every endpoint the page calls exists
        assert path in {"/v1/compare", "/v1/attribute", "/v1/candidates", "/v1/search"}


def test_the_page_names_every_verdict_feature_in_words():
    from writing7.inference.verdict import FEATURE_NAMES

    script = (STATIC_DIRECTORY / "page.js").read_text(encoding="utf-8")
    table = script[script.index("const FEATURE_LABELS = {"):script.index("};", script.index("const FEATURE_LABELS = {"))]
    assert set(re.findall(r"(\w+): \"", table)) == set(FEATURE_NAMES)


def test_the_page_files_are_package_data():
    configuration = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = configuration["tool"]["setuptools"]["package-data"]["writing7.serve"]
    for name in PAGE_FILES:
        assert any(Path("static", name).match(pattern) for pattern in patterns)


def test_api_calls_need_the_key_the_page_sends(keyed_client):
    body = {"document1": "The sea was calm that night.", "document2": "The wind rose over the moor.", "explain": True}
    refused = keyed_client.post("/v1/compare", json=body)
    assert refused.status_code == 401 and refused.json()["error"]["type"] == "unauthorized"
    assert keyed_client.post("/v1/compare", json=body, headers=KEY).status_code == 200
    assert keyed_client.get("/v1/candidates").status_code == 401


def test_compare_with_explain_is_the_python_api(keyed_client):
    matcher = keyed_client.app.state.service.matcher
    first, second = book("grey-zane", "desert-gold.txt")[:6000], book("grey-zane", "riders-of-the-purple-sage.txt")[:6000]
    response = keyed_client.post("/v1/compare", json={"document1": first, "document2": second, "explain": True}, headers=KEY)
    assert response.status_code == 200
    assert response.json() == _json(matcher.compare_documents(first, second, explain=True))
    plain = keyed_client.post("/v1/compare", json={"document1": first, "document2": second}, headers=KEY).json()
    assert "explanation" not in plain and plain == _json(matcher.compare_documents(first, second))


def test_score_with_explain_is_the_python_api(keyed_client):
    matcher = keyed_client.app.state.service.matcher
    first, second = book("jerome-jerome-k", "three-men-in-a-boat.txt")[:2000], book("conrad-joseph", "typhoon.txt")[:2000]
    explained = keyed_client.post("/v1/score", json={"text1": first, "text2": second, "explain": True}, headers=KEY).json()
    assert explained == _json(matcher.explain(first, second))
    parts = explained["explanation"]["tasks"]["author"]
    assert parts["bias"] + sum(row["contribution"] for row in parts["contributions"]) == pytest.approx(parts["logit"], abs=1e-6)
    plain = keyed_client.post("/v1/score", json={"text1": first, "text2": second}, headers=KEY).json()
    assert plain == _json(matcher.score(first, second))


def test_candidates_lists_the_configured_authors(keyed_client):
    answer = keyed_client.get("/v1/candidates", headers=KEY).json()
    assert answer["attribution"] is True
    assert [(row["author"], row["texts"]) for row in answer["candidates"]] == [(author, 1) for author in sorted(CANDIDATE_BOOKS)]


def test_attribute_against_configured_and_uploaded_candidates_is_the_python_api(keyed_client):
    service = keyed_client.app.state.service
    configured = keyed_client.post("/v1/attribute", json={"text": query_text()}, headers=KEY)
    assert configured.status_code == 200
    assert configured.json() == _json(service.attributor.attribute(query_text(), service.candidates))
    uploaded = {"stevenson-robert-louis": [book("stevenson-robert-louis", "treasure-island.txt")], "grey-zane": [book("grey-zane", "desert-gold.txt")]}
    answer = keyed_client.post("/v1/attribute", json={"text": query_text(), "candidates": uploaded, "top_k": 1}, headers=KEY).json()
    assert answer == _json(Attributor(service.matcher, service.attributor.calibration).attribute(query_text(), uploaded, top_k=1))
    assert len(answer["candidates"]) == 1 and 0 <= answer["none_of_these"] <= 1


def test_attribute_errors_say_what_to_do(keyed_client, client):
    empty = keyed_client.post("/v1/attribute", json={"text": query_text(), "candidates": {"someone": [""]}}, headers=KEY)
    assert empty.status_code == 422 and "candidates[0] is empty" in empty.json()["error"]["message"]
    missing = client.post("/v1/attribute", json={"text": query_text()})  # the plain service: no attribution.json
    assert missing.status_code == 409 and "calibrate-attribution" in missing.json()["error"]["message"]
    assert client.get("/v1/candidates").json() == {"candidates": [], "attribution": False}


def test_configured_candidates_without_calibration_fail_at_start_up(calibrated_matcher_dir, candidates_dir):
    app = create_app(calibrated_matcher_dir, config=LIMITS, candidates_dir=candidates_dir)
    with pytest.raises(FileNotFoundError, match="has no attribution.json: run `writing7 calibrate-attribution"):
        with TestClient(app):
            pass


def _json(value):
    import json

    return json.loads(json.dumps(value))
