#!/usr/bin/env python3
"""The peer of `minitron bench train`: full training steps of the same Llama-shaped model in PyTorch on the CPU.

Same configuration as `minitron bench train --model bench-train` (d=256, 8 layers, 8 heads, 2 KV heads, MLP 704,
vocabulary 4096, untied head, RoPE theta 500000, RMSNorm eps 1e-5), same step: forward, mean next-token
cross-entropy, backward, gradient clipping to norm 1.0, AdamW (betas 0.9, 0.95, eps 1e-8, weight decay 0.1), zero
grads; float32; random token ids; batch 8 x 256. Attention is written out (q k^T / sqrt(D) + causal mask, softmax, @ v)
as HF's eager attention does (torch 1.13 has no fused scaled_dot_product_attention).

Prints a human line on stderr and ONE JSON object on stdout (last line) with "tokens_per_s" (batch * seq / median
step time), the step times, torch's version and thread count.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 reference/bench_train_torch.py --threads 2
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n):
    b, g, s, d = x.shape
    if n == 1:
        return x
    return x[:, :, None, :, :].expand(b, g, n, s, d).reshape(b, g * n, s, d)


class Llama(torch.nn.Module):
    def __init__(self, d, layers, heads, kv_heads, mlp, vocab, theta=500000.0, eps=1e-5):
        super().__init__()
        self.d, self.heads, self.kv_heads, self.hd, self.eps = d, heads, kv_heads, d // heads, eps
        P = lambda *shape: torch.nn.Parameter(torch.randn(*shape) * 0.02)
        self.embed = P(vocab, d)
        self.layers = torch.nn.ModuleList()
        for _ in range(layers):
            layer = torch.nn.ParameterDict({
                "input_layernorm": torch.nn.Parameter(torch.ones(d)),
                "q_proj": P(heads * self.hd, d), "k_proj": P(kv_heads * self.hd, d), "v_proj": P(kv_heads * self.hd, d),
                "o_proj": P(d, heads * self.hd),
                "post_attention_layernorm": torch.nn.Parameter(torch.ones(d)),
                "gate_proj": P(mlp, d), "up_proj": P(mlp, d), "down_proj": P(d, mlp)})
            self.layers.append(layer)
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.lm_head = P(vocab, d)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.hd, 2, dtype=torch.int64).float() / self.hd))

    def forward(self, ids):
        b, t = ids.shape
        h_, g_, hd = self.heads, self.kv_heads, self.hd
        pos = torch.arange(t, dtype=torch.float32)
        freqs = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()                                                # (T, D)
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.embed[ids]                                                            # (B, T, C)
        for p in self.layers:
            hn = rms_norm(x, p["input_layernorm"], self.eps)
            q = (hn @ p["q_proj"].T).view(b, t, h_, hd).transpose(1, 2)                # (B, H, T, D)
            k = (hn @ p["k_proj"].T).view(b, t, g_, hd).transpose(1, 2)                # (B, G, T, D)
            v = (hn @ p["v_proj"].T).view(b, t, g_, hd).transpose(1, 2)                # (B, G, T, D)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k, v = repeat_kv(k, h_ // g_), repeat_kv(v, h_ // g_)
            att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd) + mask, dim=-1) @ v
            x = x + att.transpose(1, 2).reshape(b, t, h_ * hd) @ p["o_proj"].T
            hn = rms_norm(x, p["post_attention_layernorm"], self.eps)
            x = x + (torch.nn.functional.silu(hn @ p["gate_proj"].T) * (hn @ p["up_proj"].T)) @ p["down_proj"].T
        return rms_norm(x, self.norm, self.eps) @ self.lm_head.T                       # (B, T, V)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--mlp", type=int, default=704)
    ap.add_argument("--vocab", type=int, default=4096)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Llama(a.d, a.layers, a.heads, a.kv_heads, a.mlp, a.vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g)
    targets = torch.cat((ids[:, 1:], torch.full((a.batch, 1), -100)), dim=1)        # next token, last ignored
    times = []
    loss = float("nan")
    for s in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        logits = model(ids)
        l = torch.nn.functional.cross_entropy(logits.reshape(-1, a.vocab), targets.reshape(-1), ignore_index=-100)
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss = l.item()
        if s >= a.warmup:
            times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    tps = a.batch * a.seq / median
    params = sum(p.numel() for p in model.parameters())
    print(f"bench train torch: {params:,} parameters, batch {a.batch} x {a.seq}, {a.threads} threads: "
          f"median step {median:.3f} s, {tps:,.0f} tokens/s (loss {loss:.4f})", file=sys.stderr)
    print(json.dumps({"bench": "train_torch", "parameters": params, "batch": a.batch, "seq": a.seq,
                      "threads": a.threads, "steps": a.steps, "median_step_s": median, "step_times_s": times,
                      "tokens_per_s": tps, "loss": loss, "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1:])
