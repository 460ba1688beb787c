import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tiny_models import fixture_book
from writing7.inference.matcher import Matcher
from writing7.inference.search import Searcher
from writing7.serve.app import create_app


@pytest.fixture(scope="module")
def api(calibrated_matcher_dir):
    """An independent Python-API Matcher, loaded the way users load it."""
    return Matcher.load(calibrated_matcher_dir)


def test_health_reports_loaded_model_and_index(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model_loaded": True, "index_loaded": True}


def test_score_is_identical_to_the_python_api(client, api, passages):
    for text1, text2 in [(passages[0], passages[1]), (passages[0], passages[-1])]:
        response = client.post("/v1/score", json={"text1": text1, "text2": text2})
        assert response.status_code == 200
        assert response.json() == api.score(text1, text2)


def test_batch_score_is_identical_to_the_python_api(client, api, passages):
    pairs = [(passages[0], text) for text in passages[1:]]
    response = client.post("/v1/score/batch", json={"pairs": [{"text1": a, "text2": b} for a, b in pairs]})
    assert response.status_code == 200
    assert response.json()["results"] == api.score_batch(pairs)


def test_style_similarity_is_identical_to_the_python_api(client, api, passages):
    response = client.post("/v1/style-similarity", json={"text1": passages[2], "text2": passages[3]})
    assert response.status_code == 200
    assert response.json() == {"style_similarity": api.style_similarity(passages[2], passages[3]), "calibrated": True}


def test_embed_is_identical_to_the_python_api(client, api, passages):
    response = client.post("/v1/embed", json={"texts": passages[:3]})
    assert response.status_code == 200
    body = response.json()
    np.testing.assert_array_equal(np.array(body["embeddings"], dtype=np.float32), api.embed(passages[:3]))
    assert body["dimension"] == api.dimension


def test_compare_is_identical_to_the_python_api(client, api):
    first, second = fixture_book("grey-zane/desert-gold.txt"), fixture_book("grey-zane/riders-of-the-purple-sage.txt")
    response = client.post("/v1/compare", json={"document1": first, "document2": second})
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(api.compare_documents(first, second)))


def test_search_is_identical_to_the_python_api(client, api, fixture_index_dir):
    searcher = Searcher.load(fixture_index_dir, api)
    query = searcher.index.held_out[0]["text"]
    response = client.post("/v1/search", json={"text": query, "top_k": 3})
    assert response.status_code == 200
    assert response.json()["results"] == json.loads(json.dumps(searcher.search(query, top_k=3)))


def test_concurrent_requests_are_micro_batched_and_each_gets_its_own_answer(client, api, passages):
    from concurrent.futures import ThreadPoolExecutor

    pairs = [(passages[i], passages[j]) for i in range(len(passages)) for j in range(len(passages)) if i != j]
    before = client.app.state.service.batchers["score"].stats()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda pair: client.post("/v1/score", json={"text1": pair[0], "text2": pair[1]}), pairs))
    after = client.app.state.service.batchers["score"].stats()
    assert all(response.status_code == 200 for response in responses)
    for pair, response in zip(pairs, responses):
        expected = api.score(*pair)  # batch composition may move the last float bits
        assert response.json()["p_same_book"] == pytest.approx(expected["p_same_book"], abs=1e-5)
    assert after["items"] - before["items"] == len(pairs)


def test_model_card_describes_model_calibration_and_evaluation(client, reports_dir):
    (reports_dir / "evaluation.json").write_text(json.dumps({"tasks": {"book": {"auc": 0.9}}}))
    (reports_dir / "retrieval.json").write_text(json.dumps({"recall@1": 0.5}))
    response = client.get("/v1/model")
    assert response.status_code == 200
    card = response.json()
    assert card["base_model"] and card["training"]["stats"]["completed"] is True
    assert card["calibration"]["calibrated"] is True and "threshold" in card["calibration"]["book"]["passage"]
    assert card["calibration"]["settings"]["max_chunks"] > 0 and card["calibration"]["fit"]["pairs"]
    assert card["evaluation"] == {"tasks": {"book": {"auc": 0.9}}} and card["retrieval"] == {"recall@1": 0.5}
    assert card["index"]["books"] == 18 and "score" in card["batching"]


@pytest.mark.parametrize(("path", "body", "status", "kind", "message"), [
    ("/v1/score", {"text1": "z " * 30_001, "text2": "a b"}, 413, "text_too_long", r"text\[0\] has 60002 characters, the limit is 60000"),
    ("/v1/score", {"text1": "  ", "text2": "a b"}, 422, "empty_text", r"text\[0\] is empty"),
    ("/v1/score", {"text1": "a b"}, 422, "invalid_request", r"body\.text2: Field required"),
    ("/v1/score", {"text1": "a", "text2": "b", "extra": 1}, 422, "invalid_request", r"body\.extra: Extra inputs are not permitted"),
    ("/v1/score/batch", {"pairs": [{"text1": "a b", "text2": "c d"}] * 9}, 413, "too_many_items", r"pairs has 9 items, the limit is 8"),
    ("/v1/score/batch", {"pairs": []}, 422, "empty_batch", r"pairs is empty"),
    ("/v1/embed", {"texts": ["ok", "y" * 3001]}, 413, "text_too_long", r"texts\[1\] has 3001 characters"),
    ("/v1/compare", {"document1": "z " * 30_001, "document2": "a"}, 413, "text_too_long", r"document\[0\] has 60002 characters, the limit is 60000"),
    ("/v1/search", {"text": "a passage", "top_k": 0}, 422, "invalid_request", r"body\.top_k: Input should be greater than or equal to 1"),
])
def test_input_limits_give_a_clear_json_error(client, path, body, status, kind, message):
    import re

    response = client.post(path, json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["type"] == kind and re.search(message, error["message"])


def test_an_oversized_body_is_refused_before_parsing(client):
    response = client.post("/v1/score", content=b'{"text1": "' + b"a" * 250_000 + b'", "text2": "b"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "body_too_large"


def test_search_without_an_index_says_how_to_enable_it(calibrated_matcher_dir, passages):
    with TestClient(create_app(calibrated_matcher_dir)) as bare:
        response = bare.post("/v1/search", json={"text": passages[0]})
        assert response.status_code == 409 and "--index DIR" in response.json()["error"]["message"]
        assert bare.get("/healthz").json()["index_loaded"] is False


def test_api_key_is_required_when_configured(calibrated_matcher_dir, passages, monkeypatch):
    monkeypatch.setenv("WRITING7_API_KEY", "s3cret")
    body = {"text1": passages[0], "text2": passages[1]}
    with TestClient(create_app(calibrated_matcher_dir)) as guarded:
        missing = guarded.post("/v1/score", json=body)
        assert missing.status_code == 401 and missing.json()["error"]["type"] == "unauthorized"
        assert missing.headers["www-authenticate"] == "Bearer"
        assert guarded.post("/v1/score", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert guarded.post("/v1/score", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert guarded.post("/v1/score", json=body, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert guarded.get("/v1/model").status_code == 401
        assert guarded.get("/healthz").status_code == 200  # probes need no key


def test_command_line_key_wins_over_the_environment(calibrated_matcher_dir, passages, monkeypatch):
    monkeypatch.setenv("WRITING7_API_KEY", "from-env")
    with TestClient(create_app(calibrated_matcher_dir, api_key="from-cli")) as guarded:
        body = {"text1": passages[0], "text2": passages[1]}
        assert guarded.post("/v1/score", json=body, headers={"X-API-Key": "from-env"}).status_code == 401
        assert guarded.post("/v1/score", json=body, headers={"X-API-Key": "from-cli"}).status_code == 200


def test_openapi_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/score", "/v1/score/batch", "/v1/style-similarity", "/v1/embed", "/v1/search", "/v1/compare",
            "/healthz", "/v1/model"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_uncalibrated_service_flags_its_answers(tmp_path, calibrated_matcher_dir, passages):
    import shutil

    bare = shutil.copytree(calibrated_matcher_dir, tmp_path / "final", ignore=shutil.ignore_patterns("*calibration*.json"))
    with TestClient(create_app(bare, uncalibrated=True)) as service:
        assert service.post("/v1/score", json={"text1": passages[0], "text2": passages[1]}).json()["calibrated"] is False
        assert service.get("/v1/model").json()["calibration"]["calibrated"] is False
