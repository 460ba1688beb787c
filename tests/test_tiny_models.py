import numpy as np
from sentence_transformers import SentenceTransformer


def test_tiny_sentence_transformer_embeds_normalised_vectors(tiny_sentence_transformer):
    model = SentenceTransformer(str(tiny_sentence_transformer), device="cpu")
    embeddings = model.encode(["It was a dark night.", "The sea was calm."])
    assert embeddings.shape == (2, 32)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
