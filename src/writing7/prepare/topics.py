"""Topic ids per passage: seeded k-means on a content-word TF-IDF (latent semantic analysis).

Why not k-means on passage embeddings: it would need every sampled passage embedded (15k passages
on the shared corpus, ~5 minutes of MiniLM on 2 CPU cores) where mining embeds only a few per book,
while TF-IDF plus a 64-dimensional truncated SVD takes seconds. Topic is about *what* a passage
talks about, so function words (the stylistic signal) are removed first and only content words
count; the SVD (LSA) gives k-means dense, comparable vectors, which keeps clusters balanced where
k-means on raw sparse TF-IDF tends to make one giant cluster. Clusters are renumbered by size
(topic 0 is the largest) so ids do not depend on k-means' arbitrary label order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

SVD_DIMENSIONS = 64
MAX_FEATURES = 20_000


def assign_topics(texts: Sequence[str], *, num_topics: int, seed: int) -> np.ndarray:
    """(len(texts),) int64 topic ids in ``0 .. num_topics - 1``, deterministic for a seed."""
    if len(texts) < num_topics:
        raise ValueError(
            f"{len(texts)} passages cannot form {num_topics} topics: lower num_topics or add books"
        )
    vectorizer = TfidfVectorizer(
        stop_words="english", lowercase=True, token_pattern=r"(?u)\b[^\W\d_]{3,}\b",
        min_df=2, max_df=0.5, sublinear_tf=True, max_features=MAX_FEATURES, dtype=np.float32,
    )
    try:
        weights = vectorizer.fit_transform(texts)  # (texts, terms) sparse
    except ValueError:  # no term occurs in two passages: nothing to cluster on
        return np.zeros(len(texts), dtype=np.int64)
    dimensions = min(SVD_DIMENSIONS, weights.shape[1] - 1, len(texts) - 1)
    vectors = weights.toarray() if dimensions < 2 else TruncatedSVD(dimensions, random_state=seed).fit_transform(weights)
    vectors = normalize(vectors)  # (texts, dimensions), unit rows: k-means on cosine geometry
    labels = KMeans(n_clusters=num_topics, n_init=4, random_state=seed).fit_predict(vectors)
    return _renumber_by_size(labels, num_topics)


def _renumber_by_size(labels: np.ndarray, num_topics: int) -> np.ndarray:
    """Relabel so that topic 0 is the largest cluster (ties by old label)."""
    sizes = np.bincount(labels, minlength=num_topics)
    order = np.lexsort((np.arange(num_topics), -sizes))  # old labels, largest first
    mapping = np.empty(num_topics, dtype=np.int64)
    mapping[order] = np.arange(num_topics)
    return mapping[labels]
