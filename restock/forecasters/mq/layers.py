"""Small building blocks of the MQ networks (torch modules and pure tensor functions)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def non_crossing(raw: torch.Tensor, softplus: torch.Tensor | None = None) -> torch.Tensor:
    """Quantiles that never cross: an intercept plus non-negative softplus increments (last axis).

    ``softplus``: ``F.softplus(raw)`` if already computed (on a larger contiguous tensor: much faster
    than on a strided slice)."""
    steps = (F.softplus(raw) if softplus is None else softplus)[..., 1:]
    return torch.cat([raw[..., :1], raw[..., :1] + torch.cumsum(steps, dim=-1)], dim=-1)


def pinball(pred: torch.Tensor, target: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Elementwise pinball loss; ``pred`` [..., Q], ``target`` [...], ``levels`` [Q] -> [..., Q]."""
    diff = target.unsqueeze(-1) - pred
    return torch.maximum(levels * diff, (levels - 1.0) * diff)


def censored_pinball(
    pred: torch.Tensor, target: torch.Tensor, levels: torch.Tensor, censored: torch.Tensor
) -> torch.Tensor:
    """Pinball loss where ``censored`` targets are lower bounds; shapes as :func:`pinball`.

    On a stock-out period the sale only says demand >= sale: a prediction at or above it may be right, so
    it costs nothing; one below it is too low by at least the gap and pays the under-prediction side of the
    pinball loss, ``tau * (sale - pred)``. Elsewhere (``censored`` 0) it is the pinball loss.
    """
    loss = pinball(pred, target, levels)
    under = (target.unsqueeze(-1) > pred).to(loss.dtype)
    keep = 1.0 - censored.unsqueeze(-1) * (1.0 - under)
    return loss * keep


def forking_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    levels: torch.Tensor,
    weight: torch.Tensor,
    censored: torch.Tensor | None = None,
) -> torch.Tensor:
    """Pinball loss summed over creation times, horizons and quantiles of every window.

    ``pred`` [B, L, H, Q]; ``target``/``mask`` [B, L, H]; ``weight`` [B, L] (per creation time). Divided
    by the weighted count of targets (a constant per batch) so the step size does not depend on the
    batch's length. ``censored`` [B, L, H] (1: the target is a lower bound): :func:`censored_pinball`.
    """
    w = mask * weight[:, :, None]
    per = (
        pinball(pred, target, levels)
        if censored is None
        else censored_pinball(pred, target, levels, censored)
    )
    total = (per * w.unsqueeze(-1)).sum()
    return total / w.sum().clamp_min(1e-9)


def future_stack(x: torch.Tensor, context: int, horizon: int, first: int = 0) -> torch.Tensor:
    """From [B, L+H, ...] to [B, L-first, H, ...]: for creation time t >= first the values at t+1..t+H."""
    return torch.stack([x[:, first + h : h + context] for h in range(1, horizon + 1)], dim=2)


class CausalConvStack(nn.Module):
    """Dilated causal 1-d convolutions (left padding only: bucket t never sees t+1), ReLU after each."""

    def __init__(self, in_dim: int, channels: int, dilations: tuple[int, ...], kernels: tuple[int, ...]):
        super().__init__()
        self.convs = nn.ModuleList()
        self.pads: list[int] = []
        dim = in_dim
        for d, k in zip(dilations, kernels, strict=True):
            self.convs.append(nn.Conv1d(dim, channels, kernel_size=k, dilation=d))
            self.pads.append((k - 1) * d)
            dim = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, L, in_dim] -> [B, L, channels]."""
        h = x.transpose(1, 2)
        for conv, pad in zip(self.convs, self.pads, strict=True):
            h = torch.relu(conv(F.pad(h, (pad, 0))))
        return h.transpose(1, 2)


class StaticEmbedding(nn.Module):
    """One embedding per static attribute, concatenated."""

    def __init__(self, vocab_sizes: tuple[int, ...], dim: int):
        super().__init__()
        self.tables = nn.ModuleList([nn.Embedding(n, dim) for n in vocab_sizes])
        self.out_dim = dim * len(vocab_sizes)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """[B, n_static] codes -> [B, out_dim] (an empty [B, 0] without static attributes)."""
        parts = [table(codes[:, j]) for j, table in enumerate(self.tables)]
        return torch.cat(parts, dim=1) if parts else codes.new_zeros((codes.shape[0], 0), dtype=torch.float32)


def masked_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, allowed: torch.Tensor
) -> torch.Tensor:
    """Scaled dot-product attention over the second-to-last axis of ``k``/``v``; rows without any allowed
    key give zeros. ``q`` [..., A], ``k``/``v`` [..., N, A], ``allowed`` broadcastable to [..., N]."""
    scores = (q.unsqueeze(-2) * k).sum(-1) / k.shape[-1] ** 0.5
    scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return (weights.unsqueeze(-1) * v).sum(-2)
