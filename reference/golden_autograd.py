"""Writes autograd/src/test/resources/golden/autograd-v1.json: PyTorch forward values and gradients for the
composite computations that the Java autograd tests replay (the cases of /work/briefs/golden-spec.md).

Run from the repository root (torch 1.13 lives in the system Python, not the one on PATH):

    /usr/bin/python3 reference/golden_autograd.py            # writes the file
    /usr/bin/python3 reference/golden_autograd.py --check    # writes to a temporary file, fails if it differs

Version header: "version": 1 is the version of the FORMAT (key names, tensor encoding, the exact computation of
each case). The Java side refuses any other version with a message naming the regenerate command. Whoever changes
the format or a case's computation bumps the version AND the file name (autograd-v2.json) together, and updates
the Java reader in the same commit; regenerating with the same format (a new torch, say) keeps both.

Everything is computed in torch.float64 on one CPU thread, so the Java side can compare its F64 results tightly.
Inputs come from a torch.Generator seeded per case: uniform(-1, 1) for activations and for the projection
targets r, uniform(-1, 1) / sqrt(fan_in) for weights in HF layout (out, in), 1 + 0.1 * uniform(-1, 1) for norm
weights, and int64 ids/targets. Every case carries "inputs" (everything it reads), "outputs" ("loss", 0-d, plus
named intermediates) and "grads" (d loss / d input for every float input that requires grad).

Each case is also recomputed by a second, independent implementation (explicit loops, or the formula written out
by hand) and the script stops if the two disagree, so a mistake in the reference is not silently frozen into
the golden file.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import golden_document, golden_main, tensor_json, uniform, weight, write_json  # noqa: E402

VERSION = 1
OUTPUT = "autograd/src/test/resources/golden/autograd-v1.json"
DT = torch.float64

# Two float64 implementations of the same formula differ only by rounding: a few ulps per operation, amplified by
# at most a few hundred operations here. 1e-12 relative leaves ample room and still catches any real mistake.
SELF_CHECK_RTOL = 1e-12
SELF_CHECK_ATOL = 1e-13


def assert_close(name, actual, expected, rtol=SELF_CHECK_RTOL, atol=SELF_CHECK_ATOL):
    if actual.shape != expected.shape:
        raise AssertionError(f"self-check {name}: shape {tuple(actual.shape)} != {tuple(expected.shape)}")
    diff = (actual - expected).abs()
    bound = atol + rtol * expected.abs()
    if not bool((diff <= bound).all()):
        worst = int(torch.argmax(diff - bound))
        raise AssertionError(
            f"self-check {name}: max diff {diff.max().item():.3e}; at flat index {worst}: "
            f"{actual.reshape(-1)[worst].item()!r} vs {expected.reshape(-1)[worst].item()!r}")


def new_generator(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def norm_weight(g, n):
    """Norm weights: 1 + 0.1 * uniform(-1, 1), not all ones, so their gradients matter."""
    return 1 + 0.1 * uniform(g, (n,))


def make_case(description, config, inputs, outputs, grads):
    return {
        "description": description,
        "config": config,
        "inputs": {name: tensor_json(t) for name, t in inputs.items()},
        "outputs": {name: tensor_json(t) for name, t in outputs.items()},
        "grads": {name: tensor_json(t) for name, t in grads.items()},
    }


def backward_grads(loss, params):
    """d loss / d p for every named parameter (fresh, with no accumulation from earlier calls)."""
    names = list(params)
    grads = torch.autograd.grad(loss, [params[n] for n in names])
    return {name: grad for name, grad in zip(names, grads)}


def leaves(tensors):
    """Float tensors become leaves that require grad; the dict keeps its order."""
    return {name: t.clone().requires_grad_(True) for name, t in tensors.items()}


# ---------------------------------------------------------------------------------------------------------------
# Building blocks, written as the spec states them. Legend: B batch, T time, C hidden, H heads, KV kv heads,
# D head_dim, V vocab, I intermediate.
# ---------------------------------------------------------------------------------------------------------------

def proj(x, w):
    # x: (..., in), w: (out, in) HF layout -> (..., out)
    return x @ w.transpose(0, 1)


def rms_norm(x, w, eps):
    # x: (..., C), w: (C)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_cos_sin(T, D, theta):
    positions = torch.arange(T, dtype=DT)                                  # (T)
    inv_freq = 1.0 / theta ** (torch.arange(0, D, 2, dtype=DT) / D)        # (D/2)
    freqs = positions[:, None] * inv_freq[None, :]                         # (T, D/2)
    emb = torch.cat((freqs, freqs), -1)                                    # (T, D)
    return emb.cos(), emb.sin()


def rotate_half(t):
    half = t.shape[-1] // 2
    return torch.cat((-t[..., half:], t[..., :half]), -1)


def attention(x, q_proj, k_proj, v_proj, o_proj, H, KV, D, theta):
    # x: (B, T, C); q_proj: (H*D, C); k_proj, v_proj: (KV*D, C); o_proj: (C, H*D)
    B, T, C = x.shape
    q = proj(x, q_proj).view(B, T, H, D).transpose(1, 2)                   # (B, H, T, D)
    k = proj(x, k_proj).view(B, T, KV, D).transpose(1, 2)                  # (B, KV, T, D)
    v = proj(x, v_proj).view(B, T, KV, D).transpose(1, 2)                  # (B, KV, T, D)
    cos, sin = rope_cos_sin(T, D, theta)                                   # (T, D) each
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    k = k.repeat_interleave(H // KV, dim=1)                                # (B, H, T, D)
    v = v.repeat_interleave(H // KV, dim=1)                                # (B, H, T, D)
    mask = torch.full((T, T), float("-inf"), dtype=DT).triu(1)            # -inf above the diagonal
    scores = q @ k.transpose(-2, -1) / math.sqrt(D) + mask                 # (B, H, T, T)
    att = torch.softmax(scores, dim=-1) @ v                                # (B, H, T, D)
    return proj(att.transpose(1, 2).reshape(B, T, H * D), o_proj)          # (B, T, C)


def attention_by_loops(x, q_proj, k_proj, v_proj, o_proj, H, KV, D, theta):
    """The same attention written independently: per (batch, head, query) loops, RoPE as explicit pair rotations
    (element i pairs with i + D/2), query head h reads kv head h // (H / KV), softmax over the allowed keys only."""
    B, T, C = x.shape
    half = D // 2
    q_all = proj(x, q_proj)                                                # (B, T, H*D)
    k_all = proj(x, k_proj)                                                # (B, T, KV*D)
    v_all = proj(x, v_proj)                                                # (B, T, KV*D)

    def rotate(vec, pos):
        out = torch.empty_like(vec)
        for i in range(half):
            angle = pos * (1.0 / theta ** (2 * i / D))
            c, s = math.cos(angle), math.sin(angle)
            out[i] = vec[i] * c - vec[i + half] * s
            out[i + half] = vec[i + half] * c + vec[i] * s
        return out

    att = torch.zeros(B, T, H * D, dtype=DT)
    group = H // KV
    for b in range(B):
        for h in range(H):
            kvh = h // group
            keys = [rotate(k_all[b, s, kvh * D:(kvh + 1) * D], s) for s in range(T)]
            for t in range(T):
                q = rotate(q_all[b, t, h * D:(h + 1) * D], t)
                scores = torch.stack([(q * keys[s]).sum() / math.sqrt(D) for s in range(t + 1)])
                weights = torch.exp(scores - scores.max())
                weights = weights / weights.sum()
                mixed = sum(weights[s] * v_all[b, s, kvh * D:(kvh + 1) * D] for s in range(t + 1))
                att[b, t, h * D:(h + 1) * D] = mixed
    return proj(att, o_proj)


def attention_with_sdpa(x, q_proj, k_proj, v_proj, o_proj, H, KV, D, theta):
    """attention() with torch's fused kernel in the middle (torch >= 2.0 only)."""
    B, T, C = x.shape
    q = proj(x, q_proj).view(B, T, H, D).transpose(1, 2)
    k = proj(x, k_proj).view(B, T, KV, D).transpose(1, 2)
    v = proj(x, v_proj).view(B, T, KV, D).transpose(1, 2)
    cos, sin = rope_cos_sin(T, D, theta)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
    att = F.scaled_dot_product_attention(q, k, v, is_causal=True)         # (B, H, T, D)
    return proj(att.transpose(1, 2).reshape(B, T, H * D), o_proj)


def swiglu_mlp(x, gate_proj, up_proj, down_proj):
    # x: (..., C); gate_proj, up_proj: (I, C); down_proj: (C, I)
    return proj(F.silu(proj(x, gate_proj)) * proj(x, up_proj), down_proj)


def cross_entropy_by_hand(logits, targets, ignore_index=-100):
    """Mean over non-ignored rows of -log_softmax(logits)[target]."""
    rows = logits.reshape(-1, logits.shape[-1])
    flat = targets.reshape(-1)
    total, count = torch.zeros((), dtype=DT), 0
    for i in range(rows.shape[0]):
        if int(flat[i]) == ignore_index:
            continue
        row = rows[i]
        m = row.max()
        log_z = m + torch.log(torch.exp(row - m).sum())
        total = total - (row[int(flat[i])] - log_z)
        count += 1
    return total / count


# ---------------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------------

def case_linear_broadcast_mul():
    g = new_generator(1)
    p = leaves({"x": uniform(g, (2, 3, 5)), "w": weight(g, (4, 5)), "b": uniform(g, (4,)) / math.sqrt(5)})
    r = uniform(g, (2, 3, 4))
    y = proj(p["x"], p["w"]) + p["b"]                                      # (2, 3, 4)
    loss = (y * y * r).sum()
    assert_close("linear_broadcast_mul y", y, torch.einsum("btk,ok->bto", p["x"], p["w"]) + p["b"])
    return make_case(
        "y = x @ w^T + b ; loss = sum(y * y * r)", {},
        {**p, "r": r}, {"loss": loss, "y": y}, backward_grads(loss, p))


def case_swiglu_mlp():
    g = new_generator(2)
    p = leaves({"x": uniform(g, (2, 5, 8)), "gate_proj": weight(g, (12, 8)), "up_proj": weight(g, (12, 8)),
                "down_proj": weight(g, (8, 12))})
    r = uniform(g, (2, 5, 8))
    y = swiglu_mlp(p["x"], p["gate_proj"], p["up_proj"], p["down_proj"])   # (2, 5, 8)
    loss = (y * r).sum()
    a = p["x"] @ p["gate_proj"].T
    by_hand = (a / (1 + torch.exp(-a)) * (p["x"] @ p["up_proj"].T)) @ p["down_proj"].T
    assert_close("swiglu_mlp y", y, by_hand)
    return make_case(
        "y = down_proj(silu(gate_proj(x)) * up_proj(x)), proj(x) = x @ W^T ; loss = sum(y * r)", {},
        {**p, "r": r}, {"loss": loss, "y": y}, backward_grads(loss, p))


def case_rmsnorm():
    g = new_generator(3)
    eps = 1e-5
    p = leaves({"x": uniform(g, (3, 4, 16)), "weight": norm_weight(g, 16)})
    r = uniform(g, (3, 4, 16))
    y = rms_norm(p["x"], p["weight"], eps)                                 # (3, 4, 16)
    loss = (y * r).sum()
    by_hand = p["x"] / torch.sqrt((p["x"] * p["x"]).sum(-1, keepdim=True) / 16 + eps) * p["weight"]
    assert_close("rmsnorm y", y, by_hand)
    return make_case(
        "y = x * rsqrt(mean(x^2, -1, keepdim) + eps) * weight ; loss = sum(y * r)", {"eps": eps},
        {**p, "r": r}, {"loss": loss, "y": y}, backward_grads(loss, p))


def case_attention_gqa_rope():
    g = new_generator(4)
    H, KV, D, theta = 4, 2, 4, 10000.0
    p = leaves({"x": uniform(g, (2, 6, 16)), "q_proj": weight(g, (16, 16)), "k_proj": weight(g, (8, 16)),
                "v_proj": weight(g, (8, 16)), "o_proj": weight(g, (16, 16))})
    r = uniform(g, (2, 6, 16))
    args = (p["x"], p["q_proj"], p["k_proj"], p["v_proj"], p["o_proj"], H, KV, D, theta)
    out = attention(*args)                                                 # (2, 6, 16)
    loss = (out * r).sum()
    # The loop version is the second opinion; torch >= 2.0 also has F.scaled_dot_product_attention (1.13 does not).
    assert_close("attention_gqa_rope out", out, attention_by_loops(*args))
    if hasattr(F, "scaled_dot_product_attention"):
        assert_close("attention_gqa_rope out vs sdpa", out, attention_with_sdpa(*args))
    return make_case(
        "causal GQA attention with HF rotate-half RoPE at positions 0..T-1, k/v repeat_interleave(H/KV, dim=1), "
        "scores = q k^T / sqrt(D) + mask(-inf above diagonal), out = o_proj(softmax(scores) v) ; loss = sum(out * r)",
        {"heads": H, "kv_heads": KV, "head_dim": D, "rope_theta": theta, "causal": True},
        {**p, "r": r}, {"loss": loss, "out": out}, backward_grads(loss, p))


def case_cross_entropy_ignore():
    g = new_generator(5)
    p = leaves({"x": uniform(g, (2, 7, 6)), "w": weight(g, (11, 6))})
    targets = torch.randint(0, 11, (2, 7), generator=g, dtype=torch.int64)
    for b, t in [(0, 2), (1, 0), (1, 6)]:
        targets[b, t] = -100
    logits = proj(p["x"], p["w"])                                          # (2, 7, 11)
    loss = F.cross_entropy(logits.view(-1, 11), targets.view(-1), ignore_index=-100)
    assert_close("cross_entropy_ignore loss", loss, cross_entropy_by_hand(logits, targets))
    return make_case(
        "logits = x @ w^T ; loss = cross_entropy(logits.view(-1, 11), targets.view(-1), ignore_index=-100), "
        "mean over the non-ignored rows", {"ignore_index": -100},
        {**p, "targets": targets}, {"loss": loss, "logits": logits}, backward_grads(loss, p))


def case_kl_distill(temperature):
    g = new_generator(6)  # the same seed for both temperatures: the two cases share their inputs
    p = leaves({"x": uniform(g, (3, 4, 6)), "w": weight(g, (9, 6))})
    teacher = 2 * uniform(g, (3, 4, 9))                                    # constant teacher logits, no grad
    student = proj(p["x"], p["w"])                                         # (3, 4, 9)
    log_p_t = torch.log_softmax(teacher / temperature, dim=-1)
    log_p_s = torch.log_softmax(student / temperature, dim=-1)
    loss = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean()            # mean over the 12 rows
    reference = F.kl_div(log_p_s.reshape(-1, 9), log_p_t.reshape(-1, 9), reduction="batchmean", log_target=True)
    assert_close(f"kl_distill T={temperature} loss", loss, reference)
    return make_case(
        "student_logits = x @ w^T ; p = softmax(logits / T) ; loss = mean over rows of "
        "sum_v p_teacher * (log p_teacher - log p_student) (no T^2 factor)",
        {"temperature": temperature},
        {**p, "teacher": teacher}, {"loss": loss, "student_logits": student}, backward_grads(loss, p))


# tiny_llama: the HF Llama config fields, under their config.json names.
TINY_LLAMA = {
    "vocab_size": 32, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "head_dim": 4, "intermediate_size": 24, "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0, "tie_word_embeddings": False,
}


def tiny_llama_inputs():
    """Parameters (HF names, in checkpoint order) and the token data, from seed 7."""
    g = new_generator(7)
    c = TINY_LLAMA
    V, C, I = c["vocab_size"], c["hidden_size"], c["intermediate_size"]
    H, KV, D = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    params = {"model.embed_tokens.weight": uniform(g, (V, C))}
    for i in range(c["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        params[pre + "self_attn.q_proj.weight"] = weight(g, (H * D, C))
        params[pre + "self_attn.k_proj.weight"] = weight(g, (KV * D, C))
        params[pre + "self_attn.v_proj.weight"] = weight(g, (KV * D, C))
        params[pre + "self_attn.o_proj.weight"] = weight(g, (C, H * D))
        params[pre + "mlp.gate_proj.weight"] = weight(g, (I, C))
        params[pre + "mlp.up_proj.weight"] = weight(g, (I, C))
        params[pre + "mlp.down_proj.weight"] = weight(g, (C, I))
        params[pre + "input_layernorm.weight"] = norm_weight(g, C)
        params[pre + "post_attention_layernorm.weight"] = norm_weight(g, C)
    params["model.norm.weight"] = norm_weight(g, C)
    params["lm_head.weight"] = weight(g, (V, C))
    ids = torch.randint(0, V, (2, 8), generator=g, dtype=torch.int64)
    targets = torch.randint(0, V, (2, 8), generator=g, dtype=torch.int64)
    targets[1, 3] = -100
    return params, ids, targets


def tiny_llama_forward(params, ids, targets, attention_fn=attention):
    """Returns (loss, logits). ids, targets: (B, T) int64; logits: (B, T, V)."""
    c = TINY_LLAMA
    eps = c["rms_norm_eps"]
    h = params["model.embed_tokens.weight"][ids]                           # (B, T, C)
    for i in range(c["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        a = rms_norm(h, params[pre + "input_layernorm.weight"], eps)
        h = h + attention_fn(a, params[pre + "self_attn.q_proj.weight"], params[pre + "self_attn.k_proj.weight"],
                             params[pre + "self_attn.v_proj.weight"], params[pre + "self_attn.o_proj.weight"],
                             c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["rope_theta"])
        m = rms_norm(h, params[pre + "post_attention_layernorm.weight"], eps)
        h = h + swiglu_mlp(m, params[pre + "mlp.gate_proj.weight"], params[pre + "mlp.up_proj.weight"],
                           params[pre + "mlp.down_proj.weight"])
    logits = proj(rms_norm(h, params["model.norm.weight"], eps), params["lm_head.weight"])   # (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), targets.reshape(-1), ignore_index=-100)
    return loss, logits


LLAMA_DESCRIPTION = (
    "2-layer Llama decoder: h = embed_tokens[ids]; per layer h += attn(rmsnorm(h, input_layernorm)) "
    "(attention as attention_gqa_rope, positions 0..T-1); h += mlp(rmsnorm(h, post_attention_layernorm)) "
    "(mlp as swiglu_mlp); logits = lm_head(rmsnorm(h, norm)); loss = cross_entropy(logits, targets, "
    "ignore_index=-100)")


def case_tiny_llama():
    raw, ids, targets = tiny_llama_inputs()
    p = leaves(raw)
    loss, logits = tiny_llama_forward(p, ids, targets)
    loss_loops, logits_loops = tiny_llama_forward(p, ids, targets, attention_fn=attention_by_loops)
    assert_close("tiny_llama logits", logits, logits_loops)
    assert_close("tiny_llama loss", loss, cross_entropy_by_hand(logits, targets))
    return make_case(LLAMA_DESCRIPTION, dict(TINY_LLAMA), {**p, "ids": ids, "targets": targets},
                     {"loss": loss, "logits": logits}, backward_grads(loss, p))


# tiny_llama_adamw: training settings.
TRAIN = {
    "steps": 10, "max_lr": 1e-2, "min_lr": 1e-3, "warmup_steps": 3,
    "betas": [0.9, 0.95], "adam_eps": 1e-8, "weight_decay": 0.1,
    "max_grad_norm": 1.0, "clip_eps": 1e-6,
}


def lr_at(step):
    """Cosine with linear warm-up, step 0-based: max_lr * (s+1)/warmup for s < warmup, then cosine to min_lr."""
    t = TRAIN
    if step < t["warmup_steps"]:
        return t["max_lr"] * (step + 1) / t["warmup_steps"]
    progress = (step - t["warmup_steps"]) / (t["steps"] - t["warmup_steps"])
    return t["min_lr"] + 0.5 * (t["max_lr"] - t["min_lr"]) * (1 + math.cos(math.pi * progress))


def train_with_torch_adamw(raw, ids, targets):
    params = leaves(raw)
    t = TRAIN
    optimizer = torch.optim.AdamW(list(params.values()), lr=t["max_lr"], betas=tuple(t["betas"]),
                                  eps=t["adam_eps"], weight_decay=t["weight_decay"])
    losses, grad_norms, lrs = [], [], []
    for step in range(t["steps"]):
        optimizer.zero_grad()
        loss, _ = tiny_llama_forward(params, ids, targets)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm=t["max_grad_norm"])
        lr = lr_at(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        losses.append(loss.item())
        grad_norms.append(norm.item())
        lrs.append(lr)
    return params, losses, grad_norms, lrs


def train_by_hand(raw, ids, targets):
    """The same training with clipping and AdamW written out, as the Java side implements them:
    norm = sqrt(sum of all g^2); g *= min(1, max_norm / (norm + clip_eps));
    p *= 1 - lr * wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""
    t = TRAIN
    b1, b2 = t["betas"]
    params = leaves(raw)
    m = {n: torch.zeros_like(p) for n, p in params.items()}
    v = {n: torch.zeros_like(p) for n, p in params.items()}
    losses, grad_norms = [], []
    for step in range(t["steps"]):
        loss, _ = tiny_llama_forward(params, ids, targets)
        grads = backward_grads(loss, params)
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
        scale = min(1.0, t["max_grad_norm"] / (norm + t["clip_eps"]))
        lr = lr_at(step)
        k = step + 1
        with torch.no_grad():
            for n, p in params.items():
                g = grads[n] * scale
                p.mul_(1 - lr * t["weight_decay"])
                m[n] = b1 * m[n] + (1 - b1) * g
                v[n] = b2 * v[n] + (1 - b2) * g * g
                denom = v[n].sqrt() / math.sqrt(1 - b2 ** k) + t["adam_eps"]
                p.sub_(lr / (1 - b1 ** k) * m[n] / denom)
        losses.append(loss.item())
        grad_norms.append(norm)
    return params, losses, grad_norms


def case_tiny_llama_adamw():
    raw, ids, targets = tiny_llama_inputs()
    params, losses, grad_norms, lrs = train_with_torch_adamw(raw, ids, targets)

    # The schedule is what was intended: linear warm-up to max_lr (reached at step 2), then cosine from max_lr
    # (step 3) towards min_lr, which step 10 would reach.
    t = TRAIN
    expected_lrs = [1e-2 / 3, 2e-2 / 3, 1e-2] + [
        1e-3 + 0.5 * 9e-3 * (1 + math.cos(math.pi * j / 7)) for j in range(0, 7)]
    assert len(expected_lrs) == t["steps"]
    assert_close("adamw lrs", torch.tensor(lrs, dtype=DT), torch.tensor(expected_lrs, dtype=DT), atol=0)
    assert all(lrs[s] > lrs[s + 1] for s in range(3, 9)) and lrs[9] > t["min_lr"]

    # The same run with clipping and AdamW written by hand: the losses, norms and final weights agree.
    params_hand, losses_hand, norms_hand = train_by_hand(raw, ids, targets)
    assert_close("adamw losses", torch.tensor(losses_hand, dtype=DT), torch.tensor(losses, dtype=DT), rtol=1e-10)
    assert_close("adamw grad norms", torch.tensor(norms_hand, dtype=DT), torch.tensor(grad_norms, dtype=DT),
                 rtol=1e-10)
    for n in params:
        assert_close(f"adamw final {n}", params_hand[n], params[n], rtol=1e-10, atol=1e-12)

    # Training makes progress, and clipping is exercised.
    assert losses[-1] < losses[0], f"loss did not decrease: {losses}"
    clipped = sum(1 for x in grad_norms if x > t["max_grad_norm"])
    print(f"  tiny_llama_adamw: losses {losses[0]:.4f} -> {losses[-1]:.4f}; "
          f"{clipped}/{t['steps']} steps clipped; grad norms {[round(x, 3) for x in grad_norms]}")
    assert clipped > 0, "no step was clipped: the golden case would not test clipping"

    config = {**TINY_LLAMA, **TRAIN}
    outputs = {"losses": torch.tensor(losses, dtype=DT), "grad_norms": torch.tensor(grad_norms, dtype=DT),
               "lrs": torch.tensor(lrs, dtype=DT)}
    for n, p in params.items():
        outputs["final." + n] = p
    description = (
        "the model and data of tiny_llama trained 10 steps; each step: zero_grad, loss, backward, "
        "clip_grad_norm_(all params, max_norm) (g *= min(1, max_norm / (norm + clip_eps))), lr = lr_at(step), "
        "AdamW step (decoupled weight decay, bias correction). lr_at(s) = max_lr * (s+1)/warmup_steps for "
        "s < warmup_steps, else min_lr + 0.5 (max_lr - min_lr)(1 + cos(pi (s - warmup_steps)/(steps - "
        "warmup_steps))). losses[s] = loss before step s's update, grad_norms[s] = total norm before clipping")
    return make_case(description, config, {**raw, "ids": ids, "targets": targets}, outputs, {})


def build_document():
    torch.set_num_threads(1)  # one thread: a fixed summation order, so the file is byte-identical across runs
    torch.use_deterministic_algorithms(True)
    builders = [
        ("linear_broadcast_mul", case_linear_broadcast_mul),
        ("swiglu_mlp", case_swiglu_mlp),
        ("rmsnorm", case_rmsnorm),
        ("attention_gqa_rope", case_attention_gqa_rope),
        ("cross_entropy_ignore", case_cross_entropy_ignore),
        ("kl_distill_t1", lambda: case_kl_distill(1.0)),
        ("kl_distill_t2", lambda: case_kl_distill(2.0)),
        ("tiny_llama", case_tiny_llama),
        ("tiny_llama_adamw", case_tiny_llama_adamw),
    ]
    return golden_document("reference/golden_autograd.py", VERSION, builders)


def main():
    golden_main(__doc__.split("\n\n")[0], "reference/golden_autograd.py", OUTPUT, build_document)


if __name__ == "__main__":
    main()
