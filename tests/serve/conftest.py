"""The service under test: the real app on the tiny calibrated model and the fixture index."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from matcher_models import fixture_chunks
from writing7.config.serve import ServeConfig
from writing7.serve.app import create_app

LIMITS = ServeConfig(max_text_characters=3000, max_document_characters=60_000, max_batch_items=8, max_body_bytes=200_000, max_wait_ms=2.0)


@pytest.fixture(scope="session")
def passages() -> list[str]:
    chunks = fixture_chunks()
    return [chunk.text for chunk in chunks[:5]] + [chunks[-1].text]


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def client(calibrated_matcher_dir, fixture_index_dir, reports_dir):
    app = create_app(calibrated_matcher_dir, config=LIMITS, index_dir=fixture_index_dir, reports_dir=reports_dir)
    with TestClient(app) as test_client:  # the lifespan loads the model once
        yield test_client


@pytest.fixture(scope="module")
def matcher(client):
    """The very Matcher the service loaded (same weights, same calibration)."""
    return client.app.state.service.matcher
