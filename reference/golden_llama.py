"""Golden files for the Llama/Mistral model of transformer/: tiny HF checkpoints and what PyTorch computes from them.

The `transformers` package is not installed here (no PyPI; Debian bookworm has no python3-transformers), so this
script implements HF's LlamaForCausalLM / MistralForCausalLM forward in plain torch, following
transformers/models/llama/modeling_llama.py line by line (reference/fuzz_hf_transformers.py checks this forward
against the real transformers 5.18 classes, in an environment of its own):

  LlamaRMSNorm:        h = x.float(); h * rsqrt(mean(h^2, -1) + eps); weight * h
  rotary embedding:    inv_freq = 1 / theta^(arange(0, hd, 2) / hd) in float32, rescaled by
                       _compute_llama3_parameters (rope_scaling llama3) or divided by factor (linear), in float32;
                       freqs = pos * inv_freq (float32), emb = cat(freqs, freqs), cos/sin in float32;
                       q * cos + rotate_half(q) * sin, rotate_half([x1, x2]) = [-x2, x1]
  attention:           q, k, v = x Wq^T, x Wk^T, x Wv^T split into heads; repeat_kv (GQA); softmax(q k^T / sqrt(hd)
                       + causal mask) v; merged heads times Wo^T
  mask:                transformers.masking_utils: causal_mask_function (kv_idx <= q_idx), and for Mistral with a
                       sliding_window and_masks(causal, sliding_window_overlay(W)) (kv_idx > q_idx - W): each
                       query sees the last W positions, its own included
  MLP:                 down(silu(gate(x)) * up(x))
  decoder layer:       h = h + attn(input_layernorm(h)); h = h + mlp(post_attention_layernorm(h))
  head:                logits = norm(h) lm_head^T (lm_head = embed_tokens when tie_word_embeddings)
  loss:                mean cross-entropy over the targets that are not -100

Everything after the rotary tables runs in float64 on the checkpoint's float32 (or bf16-rounded) weights, so the
golden values are the exact answer for those weights and the Java float32 forward is compared with a tolerance
that measures only its own rounding. The rotary tables are computed in float32 exactly as HF does (that is part of
the model's definition) and then widened.

Each case writes a model directory (config.json + model.safetensors, or shards with model.safetensors.index.json)
under transformer/src/test/resources/llama/<case>/ and its entry in transformer/src/test/resources/golden/
llama-v1.json: inputs (ids, targets), outputs (inv_freq, logits, loss) and grads (d loss / d every parameter, by
HF name). Format: reference/README.md. The safetensors bytes are written by reference/safetensors_fixtures.py's
serializer (a byte-for-byte replica of the reference implementation).

A second, independent computation checks each case before anything is written: the model again with explicit
per-head loops, an explicit softmax and no repeat_kv, and the llama3 frequencies from the formula written with
Python floats; the script stops if the two disagree.

Usage (from the repository root, with the system Python that has torch):
    /usr/bin/python3 reference/golden_llama.py           # (re)write the checkpoints and the golden file
    /usr/bin/python3 reference/golden_llama.py --check   # fail if the committed files differ from a fresh run
"""

import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as gc  # noqa: E402
import safetensors_fixtures as stf  # noqa: E402

VERSION = 1
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
RES = os.path.join(ROOT, "transformer", "src", "test", "resources")
GOLDEN = os.path.join(RES, "golden", "llama-v1.json")
MODELS = os.path.join(RES, "llama")
IGNORE = -100


# ---------------------------------------------------------------- the cases

def base_config(**over):
    c = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
        "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 4, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": None,
        "max_position_embeddings": 64, "vocab_size": 40, "tie_word_embeddings": False, "bos_token_id": 1,
        "eos_token_id": 2, "attention_bias": False, "mlp_bias": False, "torch_dtype": "float32",
    }
    c.update(over)
    return c


CASES = {
    # GQA (4 query heads on 2 KV heads), untied head, plain RoPE, float32 checkpoint.
    "llama_gqa": dict(config=base_config(), store="F32", shards=1),
    # llama3 rope scaling with Llama 3.1's constants (the three frequency bands all occur at head_dim 8 and theta
    # 500000), head_dim 8 != hidden/heads = 4, tied embeddings, eos as a list.
    "llama3_rope_tied": dict(config=base_config(
        head_dim=8, rope_theta=500000.0, tie_word_embeddings=True, eos_token_id=[2, 3],
        rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8192, "rope_type": "llama3"}), store="F32", shards=1),
    # BF16 checkpoint: torch computes from the bf16-rounded weights (what the Java model reads in place).
    "llama_bf16": dict(config=base_config(torch_dtype="bfloat16", num_key_value_heads=1), store="BF16", shards=1),
    # Sharded checkpoint (3 shards), multi-head attention (G == H), linear rope scaling.
    "llama_sharded": dict(config=base_config(num_key_value_heads=4, rope_scaling={"type": "linear", "factor": 2.0}),
                          store="F32", shards=3),
    # Mistral: model_type mistral, head_dim 6 (NeMo-like: H * hd = 24 != hidden 16), rope_theta 1e6, a sliding
    # window larger than any sequence here.
    "mistral": dict(config=base_config(
        architectures=["MistralForCausalLM"], model_type="mistral", head_dim=6, rope_theta=1000000.0,
        sliding_window=64), store="F32", shards=1),
    # Mistral with sliding-window attention in effect: window 5 on 12 tokens (every query from position 5 on loses
    # its earliest keys), GQA 4 query heads on 2 KV heads.
    "mistral_swa": dict(config=base_config(
        architectures=["MistralForCausalLM"], model_type="mistral", rope_theta=1000000.0,
        sliding_window=5), store="F32", shards=1, seq=12),
}

BATCH, SEQ = 2, 7  # SEQ: the sequence length of a case that does not set its own "seq"


def parameter_shapes(c):
    d, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hq, hkv = c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"]
    shapes = {"model.embed_tokens.weight": (v, d)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (d,)
        shapes[p + "self_attn.q_proj.weight"] = (hq, d)
        shapes[p + "self_attn.k_proj.weight"] = (hkv, d)
        shapes[p + "self_attn.v_proj.weight"] = (hkv, d)
        shapes[p + "self_attn.o_proj.weight"] = (d, hq)
        shapes[p + "post_attention_layernorm.weight"] = (d,)
        shapes[p + "mlp.gate_proj.weight"] = (f, d)
        shapes[p + "mlp.up_proj.weight"] = (f, d)
        shapes[p + "mlp.down_proj.weight"] = (d, f)
    shapes["model.norm.weight"] = (d,)
    if not c["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (v, d)
    return shapes


def make_parameters(c, seed, store):
    """float32 weights (bf16-rounded for a BF16 checkpoint): norms near 1, projections uniform / sqrt(fan_in)."""
    g = torch.Generator().manual_seed(seed)
    params = {}
    for name, shape in parameter_shapes(c).items():
        if len(shape) == 1:
            w = 1.0 + 0.2 * gc.uniform(g, shape, torch.float32)
        elif name == "model.embed_tokens.weight" or name == "lm_head.weight":
            w = gc.uniform(g, shape, torch.float32)
        else:
            w = gc.weight(g, shape, torch.float32)
        if store == "BF16":
            w = w.to(torch.bfloat16).to(torch.float32)
        params[name] = w
    return params


def make_inputs(c, seed, seq):
    g = torch.Generator().manual_seed(seed + 1000)
    ids = torch.randint(0, c["vocab_size"], (BATCH, seq), generator=g)
    targets = torch.cat([ids[:, 1:], torch.randint(0, c["vocab_size"], (BATCH, 1), generator=g)], dim=1)
    targets[1, 3] = IGNORE  # one ignored position
    return ids, targets


# ---------------------------------------------------------------- HF's rotary frequencies (float32, as HF)

def inv_freq_hf(c):
    hd, theta = c["head_dim"], c["rope_theta"]
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    rs = c.get("rope_scaling")
    if rs is None:
        return inv_freq
    kind = rs.get("rope_type", rs.get("type"))
    if kind == "linear":
        # HF's linear scaling divides positions by factor; the same as dividing inv_freq (done so here, in float32).
        return inv_freq / rs["factor"]
    assert kind == "llama3", kind
    # transformers.modeling_rope_utils._compute_llama3_parameters, verbatim
    factor = rs["factor"]
    low_freq_factor = rs["low_freq_factor"]
    high_freq_factor = rs["high_freq_factor"]
    old_context_len = rs["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def inv_freq_by_hand(c):
    """The same frequencies from the formula in Python doubles (the independent check; agrees to float32 rounding)."""
    hd, theta = c["head_dim"], c["rope_theta"]
    out = []
    rs = c.get("rope_scaling")
    for i in range(hd // 2):
        f = 1.0 / theta ** (2 * i / hd)
        if rs is not None and rs.get("rope_type", rs.get("type")) == "linear":
            f /= rs["factor"]
        elif rs is not None:
            wl = 2 * math.pi / f
            lo = rs["original_max_position_embeddings"] / rs["low_freq_factor"]
            hi = rs["original_max_position_embeddings"] / rs["high_freq_factor"]
            if wl > lo:
                f = f / rs["factor"]
            elif wl >= hi:
                s = (rs["original_max_position_embeddings"] / wl - rs["low_freq_factor"]) / (
                        rs["high_freq_factor"] - rs["low_freq_factor"])
                f = (1 - s) * f / rs["factor"] + s * f
        out.append(f)
    return torch.tensor(out, dtype=torch.float64)


def rope_tables(inv_freq, t):
    pos = torch.arange(t, dtype=torch.float32)
    freqs = pos[:, None] * inv_freq[None, :]                 # (T, hd/2) float32
    emb = torch.cat((freqs, freqs), dim=-1)                  # (T, hd)
    return emb.cos().double(), emb.sin().double()


# ---------------------------------------------------------------- the forward (HF semantics, float64)

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


def causal_mask_function(q_idx, kv_idx):
    """transformers.masking_utils.causal_mask_function: True where the query may attend."""
    return kv_idx <= q_idx


def sliding_window_overlay(sliding_window):
    """transformers.masking_utils.sliding_window_overlay: only the last sliding_window positions."""
    def inner(q_idx, kv_idx):
        return kv_idx > q_idx - sliding_window
    return inner


def attention_mask(c, t):
    """(T, T) additive mask: 0 where allowed, -inf elsewhere; Mistral (model_type mistral) with a sliding_window
    uses and_masks(causal, sliding_window_overlay) as HF's create_sliding_window_causal_mask does; llama has no
    sliding window."""
    q_idx = torch.arange(t)[:, None]
    kv_idx = torch.arange(t)[None, :]
    allowed = causal_mask_function(q_idx, kv_idx)
    window = c.get("sliding_window") if c["model_type"] == "mistral" else None
    if window is not None:
        allowed = allowed & sliding_window_overlay(window)(q_idx, kv_idx)
    mask = torch.zeros((t, t), dtype=torch.float64)
    return mask.masked_fill(~allowed, float("-inf"))


def forward(c, p, ids, cos, sin):
    b, t = ids.shape
    h_, g_, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    eps = c["rms_norm_eps"]
    mask = attention_mask(c, t)
    x = p["model.embed_tokens.weight"][ids]                                                  # (B, T, C)
    for i in range(c["num_hidden_layers"]):
        L = f"model.layers.{i}."
        hn = rms_norm(x, p[L + "input_layernorm.weight"], eps)
        q = (hn @ p[L + "self_attn.q_proj.weight"].T).view(b, t, h_, hd).transpose(1, 2)    # (B, H, T, D)
        k = (hn @ p[L + "self_attn.k_proj.weight"].T).view(b, t, g_, hd).transpose(1, 2)    # (B, G, T, D)
        v = (hn @ p[L + "self_attn.v_proj.weight"].T).view(b, t, g_, hd).transpose(1, 2)    # (B, G, T, D)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, h_ // g_), repeat_kv(v, h_ // g_)
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd) + mask, dim=-1) @ v        # (B, H, T, D)
        x = x + att.transpose(1, 2).reshape(b, t, h_ * hd) @ p[L + "self_attn.o_proj.weight"].T
        hn = rms_norm(x, p[L + "post_attention_layernorm.weight"], eps)
        gate, up = hn @ p[L + "mlp.gate_proj.weight"].T, hn @ p[L + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ p[L + "mlp.down_proj.weight"].T
    head = p["model.embed_tokens.weight"] if c["tie_word_embeddings"] else p["lm_head.weight"]
    return rms_norm(x, p["model.norm.weight"], eps) @ head.T                                 # (B, T, V)


def forward_by_hand(c, p, ids, cos, sin):
    """Independent check: per-head loops, KV head h // (H/G) read directly, explicit softmax and causal loop over
    the keys of the window (positions ti - W + 1 .. ti for a sliding window W)."""
    b, t = ids.shape
    h_, g_, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    eps = c["rms_norm_eps"]
    window = c.get("sliding_window") if c["model_type"] == "mistral" else None

    def norm(x, w):
        return x / torch.sqrt((x * x).sum(-1, keepdim=True) / x.shape[-1] + eps) * w

    def rot(x):  # x (T, D)
        half = hd // 2
        out = torch.empty_like(x)
        out[:, :half] = x[:, :half] * cos[:, :half] - x[:, half:] * sin[:, :half]
        out[:, half:] = x[:, half:] * cos[:, half:] + x[:, :half] * sin[:, half:]
        return out

    logits = []
    for bi in range(b):
        x = torch.stack([p["model.embed_tokens.weight"][int(i)] for i in ids[bi]])          # (T, C)
        for i in range(c["num_hidden_layers"]):
            L = f"model.layers.{i}."
            hn = norm(x, p[L + "input_layernorm.weight"])
            q, k, v = (hn @ p[L + n].T for n in ("self_attn.q_proj.weight", "self_attn.k_proj.weight",
                                                 "self_attn.v_proj.weight"))
            heads = []
            for h in range(h_):
                g = h // (h_ // g_)
                qh, kh, vh = rot(q[:, h * hd:(h + 1) * hd]), rot(k[:, g * hd:(g + 1) * hd]), v[:, g * hd:(g + 1) * hd]
                rows = []
                for ti in range(t):
                    first = 0 if window is None else max(0, ti - window + 1)
                    s = torch.stack([qh[ti] @ kh[si] for si in range(first, ti + 1)]) / math.sqrt(hd)
                    e = torch.exp(s - s.max())
                    rows.append((e / e.sum()) @ vh[first: ti + 1])
                heads.append(torch.stack(rows))
            x = x + torch.cat(heads, dim=1) @ p[L + "self_attn.o_proj.weight"].T
            hn = norm(x, p[L + "post_attention_layernorm.weight"])
            gate = hn @ p[L + "mlp.gate_proj.weight"].T
            x = x + (gate / (1 + torch.exp(-gate)) * (hn @ p[L + "mlp.up_proj.weight"].T)) @ p[L + "mlp.down_proj.weight"].T
        head = p["model.embed_tokens.weight"] if c["tie_word_embeddings"] else p["lm_head.weight"]
        logits.append(norm(x, p["model.norm.weight"]) @ head.T)
    return torch.stack(logits)


# ---------------------------------------------------------------- checkpoint writing

def write_checkpoint(directory, c, params, store, shards):
    os.makedirs(directory, exist_ok=True)
    for f in os.listdir(directory):
        os.remove(os.path.join(directory, f))
    with open(os.path.join(directory, "config.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    names = list(params.keys())

    def raw(t):
        if store == "BF16":
            return t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        return t.numpy().astype("<f4").tobytes()

    tensors = {n: (store, list(params[n].shape), raw(params[n])) for n in names}
    if shards == 1:
        with open(os.path.join(directory, "model.safetensors"), "wb") as f:
            f.write(stf.serialize(tensors, {"format": "pt"}))
        return
    per = (len(names) + shards - 1) // shards
    weight_map, total = {}, 0
    for s in range(shards):
        part = {n: tensors[n] for n in names[s * per:(s + 1) * per]}
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        with open(os.path.join(directory, fname), "wb") as f:
            f.write(stf.serialize(part, {"format": "pt"}))
        for n, (_, _, data) in part.items():
            weight_map[n] = fname
            total += len(data)
    with open(os.path.join(directory, "model.safetensors.index.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------- main

def f32(t):
    """Golden values are stored as float32 (the Java model computes in float32; 6e-8 relative is far below the
    tolerances), which halves the file."""
    return gc.tensor_json(t.detach().float())


def build_case(name, spec, seed):
    c = spec["config"]
    params32 = make_parameters(c, seed, spec["store"])
    seq = spec.get("seq", SEQ)
    ids, targets = make_inputs(c, seed, seq)
    inv = inv_freq_hf(c)
    hand = inv_freq_by_hand(c)
    if not torch.allclose(inv.double(), hand, rtol=1e-6, atol=0):
        raise SystemExit(f"{name}: inv_freq {inv.tolist()} disagrees with the formula by hand {hand.tolist()}")
    cos, sin = rope_tables(inv, seq)
    p = {n: w.double().requires_grad_(True) for n, w in params32.items()}
    logits = forward(c, p, ids, cos, sin)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, c["vocab_size"]), targets.reshape(-1),
                                             ignore_index=IGNORE)
    loss.backward()
    with torch.no_grad():
        check = forward_by_hand(c, {n: w.detach() for n, w in p.items()}, ids, cos, sin)
    diff = (check - logits.detach()).abs().max().item()
    if diff > 1e-12:
        raise SystemExit(f"{name}: the two forwards disagree by {diff}")
    write_checkpoint(os.path.join(MODELS, name), c, params32, spec["store"], spec["shards"])
    description = (f"HF {c['architectures'][0]} forward in float64 on the {spec['store']} weights of "
                   f"transformer/src/test/resources/llama/{name} ({spec['shards']} file(s)); "
                   f"ids (B={BATCH}, T={seq}); loss = mean cross-entropy over targets != -100; "
                   f"grads = d loss / d every parameter (tied: the one embed_tokens matrix)")
    return {
        "description": description,
        "config": {"model_dir": f"llama/{name}", "store": spec["store"], "shards": spec["shards"]},
        "inputs": {"ids": gc.tensor_json(ids), "targets": gc.tensor_json(targets)},
        "outputs": {"inv_freq": gc.tensor_json(inv), "logits": f32(logits), "loss": gc.tensor_json(loss.detach())},
        "grads": {n: f32(w.grad) for n, w in p.items()},
    }


def build():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cases = {}
    for k, (name, spec) in enumerate(CASES.items()):
        cases[name] = build_case(name, spec, 100 + k)
    return {
        "format": gc.FORMAT, "version": VERSION, "generator": "reference/golden_llama.py",
        "regenerate": "/usr/bin/python3 reference/golden_llama.py", "torch": torch.__version__, "cases": cases,
    }


def snapshot():
    out = {GOLDEN: open(GOLDEN, "rb").read() if os.path.exists(GOLDEN) else None}
    for root, _, files in os.walk(MODELS):
        for f in files:
            out[os.path.join(root, f)] = open(os.path.join(root, f), "rb").read()
    return out


def main(argv):
    before = snapshot() if "--check" in argv else None
    document = build()
    os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
    gc.write_json(GOLDEN, document)
    if before is not None:
        after = snapshot()
        changed = [p for p in set(before) | set(after) if before.get(p) != after.get(p)]
        if changed:
            raise SystemExit("changed by a fresh run: " + ", ".join(sorted(changed)))
        print("golden_llama: committed files match a fresh run")
    else:
        print(f"wrote {GOLDEN} and {len(CASES)} model directories under {MODELS}")


if __name__ == "__main__":
    main(sys.argv[1:])
