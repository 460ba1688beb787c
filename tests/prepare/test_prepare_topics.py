import numpy as np
import pytest

from writing7.prepare.topics import assign_topics

SEA = "The ship rolled in the heavy sea and the captain shouted to the sailors on the deck near the mast."
RANCH = "The cattle crossed the dusty ranch while the riders watched the horses and the canyon below the mesa."
SCHOOL = "The girls walked to school with their books and the teacher praised the lessons of the little class."


def passages():
    rng = np.random.default_rng(0)
    texts = []
    for topic in [SEA, RANCH, SCHOOL]:
        words = topic.split()
        for _ in range(20):
            texts.append(" ".join(rng.permutation(words)))
    return texts


def test_topics_are_in_range_deterministic_and_follow_content():
    texts = passages()
    topics = assign_topics(texts, num_topics=3, seed=1)
    assert topics.dtype == np.int64 and set(topics.tolist()) <= {0, 1, 2}
    assert np.array_equal(topics, assign_topics(texts, num_topics=3, seed=1))
    # the three content groups are recovered as three topics
    assert [len(set(topics[i:i + 20].tolist())) for i in (0, 20, 40)] == [1, 1, 1]
    assert len(set(topics.tolist())) == 3


def test_topic_zero_is_the_largest_cluster():
    texts = passages()[:40] + passages()[40:45]  # 20 sea, 20 ranch, 5 school
    sizes = np.bincount(assign_topics(texts, num_topics=3, seed=0), minlength=3)
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True)


def test_too_few_passages_are_explained():
    with pytest.raises(ValueError, match="2 passages cannot form 5 topics: lower num_topics or add books"):
        assign_topics(["a b", "c d"], num_topics=5, seed=0)


def test_passages_without_shared_terms_get_topic_zero():
    assert assign_topics(["alpha beta", "gamma delta", "epsilon zeta"], num_topics=2, seed=0).tolist() == [0, 0, 0]
