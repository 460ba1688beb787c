"""Every error the service answers, the framework's own included, has the shape ``{"error": {"type", "message"}}``."""

import pytest

JSON = {"content-type": "application/json"}


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body  # never FastAPI's {"detail": ...}
    assert set(body["error"]) == {"type", "message"}
    return body["error"]


def test_an_unknown_path_is_a_404_in_the_error_shape(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert error_of(response) == {"type": "not_found", "message": "no endpoint at /v1/nothing-here: see /docs for the endpoints"}


def test_a_wrong_method_is_a_405_naming_the_right_one(client):
    response = client.get("/v1/score")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error_of(response) == {"type": "method_not_allowed", "message": "GET is not allowed on /v1/score: use POST"}


def test_a_body_that_is_not_utf8_is_a_400_in_the_error_shape(client):
    response = client.post("/v1/score", content='{"text1": "café", "text2": "b"}'.encode("latin-1"), headers=JSON)
    assert response.status_code == 400
    error = error_of(response)
    assert error["type"] == "invalid_body" and "UTF-8 encoded JSON" in error["message"]


def test_a_body_that_is_not_json_is_a_422_in_the_error_shape(client):
    response = client.post("/v1/score", content=b'{"text1": "a", ', headers=JSON)
    assert response.status_code == 422
    assert error_of(response)["type"] == "invalid_request"


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_body_is_a_413_whether_declared_or_streamed(client, streamed):
    """``LIMITS.max_body_bytes`` is 200 000; a streamed body has no Content-Length, so it is counted while read."""
    parts = [b'{"text1": "', *[b"a" * 10_000] * 25, b'", "text2": "b"}']
    response = client.post("/v1/score", content=iter(parts) if streamed else b"".join(parts), headers=JSON)
    assert response.status_code == 413
    error = error_of(response)
    assert error["type"] == "body_too_large" and "max_body_bytes" in error["message"]


def test_an_unexpected_failure_is_a_500_in_the_error_shape_and_keeps_its_traceback(calibrated_matcher_dir):
    from fastapi.testclient import TestClient

    from writing7.serve.app import create_app

    app = create_app(calibrated_matcher_dir)

    @app.get("/v1/broken")
    async def broken() -> None:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):  # re-raised after the answer: the server log shows the traceback
        TestClient(app).get("/v1/broken")
    response = TestClient(app, raise_server_exceptions=False).get("/v1/broken")
    assert response.status_code == 500
    assert error_of(response)["type"] == "internal_error"
