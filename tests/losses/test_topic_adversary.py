import math

import pytest
import torch

from writing7.losses.topic_adversary import TopicAdversaryLoss, reverse_gradient


def cross_entropy_by_loop(scores: list[list[float]], topics: list[int]) -> float:
    known = [(row, topic) for row, topic in zip(scores, topics) if topic >= 0]
    return sum(-math.log(math.exp(row[topic]) / sum(math.exp(value) for value in row)) for row, topic in known) / len(known)


def test_topic_adversary_loss_matches_the_loop_oracle():
    loss = TopicAdversaryLoss(embedding_dim=2, num_topics=3)
    with torch.no_grad():
        loss.classifier.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
        loss.classifier.bias.copy_(torch.tensor([0.1, 0.0, -0.2]))
    embeddings = [[0.8, 0.6], [-0.6, 0.8], [0.0, -1.0], [1.0, 0.0]]
    topics = [0, 1, 2, -1]  # -1: unknown topic, ignored
    scores = [[e[0] + 0.1, e[1], -e[0] - e[1] - 0.2] for e in embeddings]
    actual = loss(torch.tensor(embeddings), torch.tensor(topics))
    assert actual.item() == pytest.approx(cross_entropy_by_loop(scores, topics), rel=1e-6)


def test_gradient_reversal_is_identity_forward_and_negated_scaled_backward():
    inputs = torch.tensor([1.0, -2.0], requires_grad=True)
    outputs = reverse_gradient(inputs, 0.3)
    (outputs * torch.tensor([2.0, 5.0])).sum().backward()
    assert torch.equal(outputs.detach(), inputs.detach())
    assert torch.allclose(inputs.grad, torch.tensor([-0.6, -1.5]))


def test_the_encoder_side_is_pushed_to_increase_topic_loss():
    loss = TopicAdversaryLoss(embedding_dim=2, num_topics=2, reversal_scale=1.0)
    embeddings = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    value = loss(embeddings, torch.tensor([0, 1]))
    value.backward()
    # A plain gradient step on the embeddings must now *raise* the classifier's loss.
    with torch.no_grad():
        stepped = loss(embeddings - 0.1 * embeddings.grad, torch.tensor([0, 1]))
    assert stepped > value
