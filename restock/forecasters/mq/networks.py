"""The MQ networks: one module whose encoder and decoder options give MQ-RNN, MQ-CNN and MQTransformer.

* Encoder over the history: LSTM/GRU (MQ-RNN) or dilated causal convolutions with a residual connection to
  the raw inputs (MQ-CNN, MQTransformer). Every encoder step is a forecast creation time.
* Global MLP: encoder state + all known-future inputs + static embeddings (+ the creation time's
  long-history inputs, ``history_features``) -> one context per horizon and one horizon-agnostic context.
* Local MLP, shared across horizons: (horizon context, shared context, that bucket's known inputs, + with
  ``history_features`` the demand one season before that bucket) ->
  per-bucket and cumulative quantiles, non-crossing by construction.
* MQTransformer adds (a) decoder-encoder attention: the query of (creation t, horizon h) carries the learned
  positional/event encoding of bucket t+h and a horizon embedding; the keys carry the encodings of past
  buckets s <= t, so a horizon can align with the most relevant past periods (last year's same week, the
  last event); and (b) feedback-aware attention over the network's own earlier forecasts of the same target
  bucket (made at t-1, t-2, ... for horizons h+1, h+2, ...) and the errors of its recent one-step forecasts.
"""

from __future__ import annotations

import torch
from torch import nn

from restock.forecasters.mq.config import MQConfig
from restock.forecasters.mq.features import SEASON_SLOTS, FeatureSpec
from restock.forecasters.mq.layers import (
    CausalConvStack,
    StaticEmbedding,
    future_stack,
    masked_attention,
    non_crossing,
)

Outputs = dict[str, torch.Tensor]


class MQNet(nn.Module):
    """MQ-RNN (``encoder`` lstm/gru), MQ-CNN (cnn) or MQTransformer (cnn + ``transformer=True``)."""

    def __init__(self, cfg: MQConfig, spec: FeatureSpec, context: int, transformer: bool):
        super().__init__()
        self.cfg, self.context, self.transformer = cfg, context, transformer
        H, Q, F_, C = cfg.horizon, len(cfg.quantiles), spec.n_known, cfg.context_size
        self.n_q = Q
        self.static = StaticEmbedding(spec.vocab_sizes, cfg.embedding_dim)
        K = cfg.n_history()
        enc_in = 3 + K + F_ + self.static.out_dim
        hidden = cfg.hidden_size
        self.rnn: nn.LSTM | nn.GRU | None = None
        self.conv: CausalConvStack | None = None
        if cfg.encoder in ("lstm", "gru"):
            rnn_cls = nn.LSTM if cfg.encoder == "lstm" else nn.GRU
            self.rnn = rnn_cls(enc_in, hidden, cfg.rnn_layers, batch_first=True)
        else:
            self.conv = CausalConvStack(enc_in, cfg.cnn_channels, cfg.cnn_dilations, cfg.cnn_kernels)
            self.receptive_field = sum(
                (k - 1) * d for k, d in zip(cfg.cnn_kernels, cfg.cnn_dilations, strict=True)
            )
            self.residual = nn.Linear(cfg.cnn_channels + enc_in, hidden)
        self.global_mlp = nn.Sequential(
            nn.Linear(hidden + H * F_ + self.static.out_dim + 1 + K, cfg.global_hidden),
            nn.ReLU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.global_hidden, (H + 1) * C),
        )
        # with history_features, the local MLP of horizon h also reads the demand one season before t+h
        self.seasonal_local = K > 0
        local_in = 2 * C + F_ + int(self.seasonal_local)
        if transformer:
            P, A, heads = cfg.position_size, cfg.attention_size, cfg.attention_heads
            self.season_emb = nn.Embedding(SEASON_SLOTS, P)
            self.event_proj = nn.Linear(F_, P)
            self.horizon_emb = nn.Embedding(H, P)
            self.att_q = nn.Linear(hidden + 2 * P, heads * A)
            self.att_k = nn.Linear(hidden + P, heads * A)
            self.att_v = nn.Linear(hidden + P, heads * A)
            local_in += heads * A
        self.local = nn.Sequential(nn.Linear(local_in, cfg.local_hidden), nn.ReLU())
        self.head = nn.Linear(cfg.local_hidden, 2 * Q)
        self.feedback = transformer and cfg.feedback
        if self.feedback:
            A = cfg.attention_size
            self.fb_q = nn.Linear(cfg.local_hidden, A)
            self.fb_k = nn.Linear(cfg.local_hidden, A)
            self.fb_v = nn.Linear(cfg.local_hidden, A)
            self.fb_k_extra = nn.Linear(2, A, bias=False)  # (earlier forecast, recent error) -> key
            self.fb_v_extra = nn.Linear(2, A, bias=False)
            self.fb_head = nn.Linear(cfg.local_hidden + A, 2 * Q)
        self.median = min(range(Q), key=lambda i: abs(cfg.quantiles[i] - 0.5))

    def forward(
        self,
        y_in: torch.Tensor,
        obs_in: torch.Tensor,
        known: torch.Tensor,
        season: torch.Tensor,
        static: torch.Tensor,
        level: torch.Tensor,
        history: torch.Tensor,
        last: int | None = None,
    ) -> Outputs:
        """Quantiles (scaled) for the last ``last`` creation times (all ``L`` when None).

        Returns ``per_bucket`` and ``cumulative`` [B, L', H, Q] and, for MQTransformer with feedback,
        the first-stage (pre-feedback) forecasts under ``stage1_*``.
        """
        L, H = self.context, self.cfg.horizon
        first = 0 if last is None else L - last
        stat = self.static(static)
        start = 0
        if self.conv is not None and not self.transformer and last is not None:
            # the last creation times depend on the receptive field only: skip older buckets
            start = max(0, first - self.receptive_field)
        n = L - start
        enc_in = torch.cat(
            [
                y_in[:, start:, None],
                obs_in[:, start:, None],
                level[:, start:, None],
                history[:, start:],
                known[:, start:L],
                stat[:, None, :].expand(-1, n, -1),
            ],
            dim=-1,
        )
        if self.rnn is not None:
            enc, _ = self.rnn(enc_in)
        else:
            assert self.conv is not None
            enc = torch.relu(self.residual(torch.cat([self.conv(enc_in), enc_in], dim=-1)))
        fut = future_stack(known, L, H, first)  # [B, L', H, F]
        enc_q = enc[:, first - start :]
        b, lq = enc_q.shape[0], enc_q.shape[1]
        g_in = torch.cat(
            [
                enc_q,
                fut.flatten(2),
                stat[:, None, :].expand(-1, lq, -1),
                level[:, first:, None],
                history[:, first:],
            ],
            dim=-1,
        )
        ctx = self.global_mlp(g_in).view(b, lq, H + 1, -1)
        c_h, c_a = ctx[:, :, :H], ctx[:, :, H:].expand(-1, -1, H, -1)
        local_in = [c_h, c_a, fut]
        if self.seasonal_local:
            local_in.append(history[:, first:, -H:, None])
        if self.transformer:
            local_in.append(self._align(enc, known, season, first))
        z = self.local(torch.cat(local_in, dim=-1))  # [B, L', H, local_hidden]
        out = self._split(self.head(z))
        if not self.feedback:
            return out
        only_last = last is not None  # predicting: only the last creation time's final forecast is used
        fb = self._feedback(z, out["per_bucket"][..., self.median].detach(), y_in, obs_in, first, only_last)
        z_q = z[:, -1:] if only_last else z
        final = self._split(self.fb_head(torch.cat([z_q, fb], dim=-1)))
        final["stage1_per_bucket"] = out["per_bucket"]
        final["stage1_cumulative"] = out["cumulative"]
        return final

    def _split(self, raw: torch.Tensor) -> Outputs:
        q = self.n_q
        sp = nn.functional.softplus(raw)
        return {
            "per_bucket": non_crossing(raw[..., :q], sp[..., :q]),
            "cumulative": non_crossing(raw[..., q:], sp[..., q:]),
        }

    def _align(
        self, enc: torch.Tensor, known: torch.Tensor, season: torch.Tensor, first: int
    ) -> torch.Tensor:
        """Decoder-encoder attention (context alignment): [B, L', H, heads*A]."""
        L, H = self.context, self.cfg.horizon
        heads, A = self.cfg.attention_heads, self.cfg.attention_size
        pos = self.season_emb(season) + self.event_proj(known)  # [B, L+H, P]
        b = enc.shape[0]
        keys_in = torch.cat([enc, pos[:, :L]], dim=-1)
        k = self.att_k(keys_in).view(b, L, heads, A)
        v = self.att_v(keys_in).view(b, L, heads, A)
        pos_fut = future_stack(pos, L, H, first)  # [B, L', H, P]
        lq = pos_fut.shape[1]
        hor = self.horizon_emb.weight[None, None].expand(b, lq, -1, -1)
        q_in = torch.cat([enc[:, first:, None, :].expand(-1, -1, H, -1), pos_fut, hor], dim=-1)
        q = self.att_q(q_in).view(b, lq * H, heads, A).transpose(1, 2)  # [B, heads, L'*H, A]
        t_abs = torch.arange(first, L, device=enc.device).repeat_interleave(H)
        allowed = torch.arange(L, device=enc.device)[None, :] <= t_abs[:, None]  # causal: never s > t
        att = nn.functional.scaled_dot_product_attention(
            q, k.transpose(1, 2), v.transpose(1, 2), attn_mask=allowed
        )  # [B, heads, L'*H, A]
        return att.transpose(1, 2).reshape(b, lq, H, heads * A)

    def _feedback(
        self,
        z: torch.Tensor,
        p1: torch.Tensor,
        y_in: torch.Tensor,
        obs_in: torch.Tensor,
        first: int,
        only_last: bool = False,
    ) -> torch.Tensor:
        """Feedback-aware attention over earlier forecasts of the same target and recent errors
        (queries at every creation time of ``z``, or at its last one only)."""
        H = self.cfg.horizon
        K = H - 1
        b, lq = z.shape[0], z.shape[1]
        # error of the one-step forecast made at t-1, realised at t (0 where unknown or unobserved)
        err = torch.zeros(b, lq, device=z.device, dtype=z.dtype)
        if lq > 1:
            y_loc, o_loc = y_in[:, first:], obs_in[:, first:]
            err[:, 1:] = (y_loc[:, 1:] - p1[:, :-1, 0]) * o_loc[:, 1:]
        # keys/values of a memory item are linear in (z, forecast, error): project z once, then gather
        kz, vz = self.fb_k(z), self.fb_v(z)  # [B, L', H, A]
        wk, wv = self.fb_k_extra.weight, self.fb_v_extra.weight  # [A, 2]
        kz_pad = nn.functional.pad(kz, (0, 0, 0, K, K, 0))
        vz_pad = nn.functional.pad(vz, (0, 0, 0, K, K, 0))
        p_pad = nn.functional.pad(p1, (0, K, K, 0))
        e_pad = nn.functional.pad(err, (K, 0))
        dev = z.device
        t_idx = torch.arange(lq - 1 if only_last else 0, lq, device=dev)[:, None, None]
        nq = t_idx.shape[0]
        h_idx = torch.arange(H, device=dev)[None, :, None]
        k_idx = torch.arange(K + 1, device=dev)[None, None, :]
        rows = (K - k_idx + t_idx).expand(nq, H, K + 1)  # item k of (t, h): forecast made at t-k ...
        cols = (k_idx + h_idx).expand(nq, H, K + 1)  # ... for horizon h+k (the same target bucket)
        extra = torch.stack([p_pad[:, rows, cols], e_pad[:, rows]], dim=-1)  # [B, L', H, K+1, 2]
        keys = kz_pad[:, rows, cols] + extra @ wk.T
        values = vz_pad[:, rows, cols] + extra @ wv.T
        allowed = ((t_idx - k_idx >= 0) & (h_idx + k_idx < H))[None]  # [1, L', H, K+1]
        query = self.fb_q(z[:, -nq:])
        return masked_attention(query, keys, values, allowed)


class MQEnsemble(nn.Module):
    """Networks of one config trained from different seeds; ``forward`` averages their quantiles floored
    at 0 (as ``predict`` floors a single network's; an average of non-crossing quantile curves does not
    cross). One member is the plain network."""

    def __init__(self, members: list[MQNet]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, *inputs: torch.Tensor, last: int | None = None) -> Outputs:
        """The members' mean ``per_bucket`` and ``cumulative`` quantiles (see :meth:`MQNet.forward`)."""
        outs = [member(*inputs, last=last) for member in self.members]
        if len(outs) == 1:
            return outs[0]
        return {
            key: torch.stack([o[key].clamp_min(0.0) for o in outs]).mean(0)
            for key in ("per_bucket", "cumulative")
        }
