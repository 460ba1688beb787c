import torch

from writing7.models.pair_head import PairHead


def test_pair_head_is_symmetric_and_outputs_two_logits():
    torch.manual_seed(0)
    head = PairHead(embedding_dim=8, num_pair_features=3, hidden=16, use_embedding_features=True).eval()
    first = torch.nn.functional.normalize(torch.randn(5, 8), dim=-1)
    second = torch.nn.functional.normalize(torch.randn(5, 8), dim=-1)
    features = torch.randn(5, 3)
    logits = head(first, second, features)
    assert logits.shape == (5, 2)
    assert torch.allclose(logits, head(second, first, features))


def test_feature_scaling_standardises_the_classical_features():
    head = PairHead(embedding_dim=4, num_pair_features=2, hidden=8, use_embedding_features=False)
    sample = torch.tensor([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]])
    head.set_feature_scaling(sample)
    assert torch.allclose(head.feature_mean, torch.tensor([3.0, 30.0]))
    assert torch.allclose(head.feature_scale, torch.tensor([2.0, 20.0]))
