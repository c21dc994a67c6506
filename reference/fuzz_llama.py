"""Differential fuzzing of `minitron logits` against the PyTorch oracle of reference/golden_llama.py.

Each case draws a random tiny Llama / Mistral configuration and random weights, writes the checkpoint with
golden_llama.write_checkpoint (reference/safetensors_fixtures.py's byte-exact serializer), computes HF's forward
with golden_llama.forward (float64 after the float32 rotary tables; golden_llama.forward_by_hand checks it a second
way unless --no-cross-check), runs

    ./minitron logits --model DIR --ids "..." --json

and compares:
  - `last` (every logit of the last position) with |java - ref| <= 1e-4 + 1e-4 |ref| (the project's bar: f32 logits
    within 1e-4 absolute on small models);
  - `argmax` at every position where the reference's top-2 gap exceeds 1e-3;
  - stderr: the `past max_position_embeddings` warning appears exactly when len(ids) > max_position_embeddings,
    and nothing else is printed (the JVM's "Using incubator modules" line aside);
  - stdout: exactly one JSON line with V logits and T argmax ids.

What a random configuration covers: model_type llama / mistral; MHA, GQA, MQA, num_key_value_heads absent (a
mistral config only with 8 heads, since MistralConfig's default is 8, not num_attention_heads);
head_dim absent, explicit = hidden/heads, or explicit and different (even, odd hidden sizes included);
intermediate_size; 1-3 layers; vocab 50-300; rms_norm_eps 1e-8..0.1; rope_theta 10..1e7; rope_scaling absent, null,
{"rope_type": "default"}, llama3 (random factor, low/high frequency factors, original_max_position_embeddings) or
linear, spelled with `rope_type` or `type`, and sometimes transformers 5's `rope_parameters` (rope_theta inside);
tie_word_embeddings; Mistral sliding_window absent (HF's 4096), null, >= the sequence, or smaller than it (1
included; docs/model.md: any length is supported with HF's masking_utils semantics, so nothing is refused); a
sliding_window in a llama config (ignored, as in HF); max_position_embeddings below the sequence sometimes (RoPE
just extends, with a warning); F32 or BF16 weights; 1-4 safetensors shards; q/k projections scaled by 1, 2 or 4 so
that attention is sharp and RoPE matters; ids of length 1-40.

Fixed degenerate-but-valid cases follow the random ones (skip them with --no-edge): a single token, every id
vocab_size - 1, a sequence exactly max_position_embeddings long, one past it, far past it with llama3 scaling,
sliding_window 1 / T - 1 / T, max_position_embeddings 1, a 16-head mistral config without num_key_value_heads
(8 KV heads); and ids outside the vocabulary must be refused with one
`minitron logits: ...` line on stderr, exit code 1 and nothing on stdout.

Usage (from the repository root; JAVA_HOME must point to a JDK 25, the jar must be built):
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 reference/fuzz_llama.py [--cases 40] [--seed 0]
        [--jar-cmd ./minitron] [--out /tmp/fuzz] [--keep-all] [--no-edge] [--no-cross-check] [--only 7]
Prints one line per case and a summary (max |diff| overall and per feature); exits 1 on any failure. Failing cases
keep their directory under OUT/seed-S/ (config.json, weights, repro.json with ids, command, reference and Java
outputs); passing ones are deleted unless --keep-all.
"""

import argparse
import json
import math
import os
import random
import shlex
import shutil
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_llama as gl  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, ".."))
ATOL, RTOL = 1e-4, 1e-4
ARGMAX_GAP = 1e-3
JVM_NOISE = ("WARNING: Using incubator modules",)
DEFAULT_JAVA_HOME = "/usr/lib/jvm/temurin-25-jdk-amd64"
MISTRAL_DEFAULT_KV_HEADS = 8   # transformers' MistralConfig(num_key_value_heads=8)


# ---------------------------------------------------------------- random configurations

def log_uniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def draw_case(rng, **force):
    """A random case: the config.json written for Java, the normalized config golden_llama understands (explicit
    head_dim, num_key_value_heads, rope_theta; rope_scaling None or a llama3 / linear dict; the effective sliding
    window), ids, storage, shards, weight scales and feature tags. `force` pins some draws (edge cases)."""
    f = dict(force)
    tags = []
    t = f.get("seq", rng.randint(1, 40))
    model_type = f.get("model_type", rng.choice(["llama", "mistral"]))
    heads = f.get("heads", rng.choice([1, 2, 3, 4, 6, 8]))
    kv = f.get("kv", rng.choice(divisors(heads)))
    if "kv_mode" in f:
        kv_mode = f["kv_mode"]
    else:
        kv_mode = "absent" if kv == heads and rng.random() < 0.3 else "explicit"
        if kv_mode == "absent" and model_type == "mistral" and kv != MISTRAL_DEFAULT_KV_HEADS:
            # HF's MistralConfig reads an absent num_key_value_heads as 8, not num_attention_heads (LlamaConfig's
            # default): left out of a mistral config only where the two agree; edge case
            # mistral_16_heads_kv_heads_absent tests the default where they do not.
            kv_mode = "explicit"
    tags.append("MHA" if kv == heads else ("MQA" if kv == 1 else "GQA"))
    if kv_mode == "absent":
        tags.append("kv_heads_absent")

    hd_mode = f.get("hd_mode", rng.choice(["absent", "explicit_default", "explicit_other"]))
    if hd_mode == "explicit_other":
        hidden = rng.randint(3, 72)
        hd = rng.choice([h for h in list(range(2, 34, 2)) + [64, 128] if h * heads != hidden])
    else:
        hd = rng.choice([h for h in (2, 4, 6, 8, 10, 12, 16) if h * heads <= 96] or [2])
        hidden = hd * heads
    tags.append("head_dim_" + hd_mode)
    if hidden % 2:
        tags.append("odd_hidden")
    inter = rng.randint(2, 128)
    layers = f.get("layers", rng.randint(1, 3))
    vocab = f.get("vocab", rng.randint(50, 300))
    eps = rng.choice([1e-5, 1e-6, log_uniform(rng, 1e-8, 1e-1)])
    theta = rng.choice([10000.0, 500000.0, 1000000.0, round(log_uniform(rng, 10.0, 1e7), 3)])
    theta_json = int(theta) if theta == int(theta) and rng.random() < 0.3 else theta   # 10000 or 10000.0
    tie = f.get("tie", rng.random() < 0.5)
    tags.append("tied" if tie else "untied")
    tags.append(model_type)
    tags.append(f"layers_{layers}")

    # max_position_embeddings: usually at or above the sequence, sometimes below it (warning, RoPE extends).
    if "max_pos" in f:
        max_pos = f["max_pos"]
    elif rng.random() < 0.15 and t > 1:
        max_pos = rng.randint(1, t - 1)
    else:
        max_pos = t + rng.choice([0, rng.randint(1, 200)])

    # rope scaling
    rope_kind = f.get("rope", rng.choice(["absent", "null", "default", "llama3", "llama3", "linear", "linear"]))
    spelling = rng.choice(["rope_type", "type"])
    v5 = rng.random() < 0.15
    rs_file, rs_ref = None, None
    if rope_kind == "llama3":
        low = rng.choice([1.0, round(rng.uniform(0.25, 4.0), 3)])
        high = rng.choice([4.0 if low < 4.0 else low * 2, round(low * rng.uniform(1.1, 8.0), 3)])
        if rng.random() < 0.7:
            # original_max_position_embeddings chosen so that one of this head_dim's wavelengths
            # (2 pi theta^(2i/hd)) falls in the interpolated band [orig / high, orig / low]: the bands all matter.
            wl = 2 * math.pi * theta ** (2 * rng.randrange(hd // 2) / hd)
            original = max(1, min(1 << 20, round(wl * math.sqrt(low * high))))
        else:
            original = int(log_uniform(rng, 2, 16384))
        rs_file = {"factor": rng.choice([8.0, 32.0, round(rng.uniform(0.5, 40.0), 3)]), "low_freq_factor": low,
                   "high_freq_factor": high, "original_max_position_embeddings": original, spelling: "llama3"}
        rs_ref = dict(rs_file)
    elif rope_kind == "linear":
        rs_file = {"factor": rng.choice([2.0, round(rng.uniform(0.25, 16.0), 3)]), spelling: "linear"}
        rs_ref = dict(rs_file)
    elif rope_kind == "default":
        rs_file = {spelling: "default"}
    tags.append("rope_" + rope_kind + (f"_{spelling}" if rs_file is not None else ""))

    # sliding window: Mistral honours it (absent = HF's 4096, null = none); llama ignores it (as HF does).
    window_file, window_ref = "absent", None
    if model_type == "mistral":
        kind = f.get("window", rng.choice(["absent", "null", "large", "small", "small", "small"]))
        if kind == "small" and t == 1:
            kind = "large"
        if kind == "absent":
            window_ref = 4096
        elif kind == "large":
            window_file = window_ref = rng.randint(t, t + 64)
        elif kind == "small":
            window_file = window_ref = f.get("window_size", rng.randint(1, t - 1))
        elif kind == "exact":
            window_file = window_ref = f["window_size"]
        else:
            window_file = None
        if window_ref is not None and window_ref < t:
            tags.append("window_lt_seq")
        else:
            tags.append("window_" + kind)
    elif rng.random() < 0.2:
        window_file = rng.randint(1, max(1, t - 1))
        tags.append("llama_window_ignored")

    store = f.get("store", rng.choice(["F32", "BF16"]))
    tags.append(store)
    shards = f.get("shards", rng.choice([1, 1, 1, 2, 3, 4]))
    if shards > 1:
        tags.append("sharded")
    dtype_key = rng.choice(["torch_dtype", "torch_dtype", "dtype", None])

    cfg = {
        "architectures": ["MistralForCausalLM" if model_type == "mistral" else "LlamaForCausalLM"],
        "model_type": model_type, "hidden_act": "silu", "hidden_size": hidden, "intermediate_size": inter,
        "num_hidden_layers": layers, "num_attention_heads": heads, "rms_norm_eps": eps,
        "max_position_embeddings": max_pos, "vocab_size": vocab, "tie_word_embeddings": tie,
        "bos_token_id": 1, "eos_token_id": rng.choice([2, [2, vocab - 1]]), "attention_bias": False,
        "mlp_bias": False,
    }
    if kv_mode == "explicit":
        cfg["num_key_value_heads"] = kv
    if hd_mode != "absent":
        cfg["head_dim"] = hd
    if v5:
        params = {"rope_type": "default"} if rs_file is None else {
            ("rope_type" if k == "type" else k): v for k, v in rs_file.items()}
        params["rope_theta"] = theta_json
        cfg["rope_parameters"] = params
        if rng.random() < 0.5:
            cfg["rope_scaling"] = None
        tags.append("rope_parameters_v5")
    else:
        cfg["rope_theta"] = theta_json
        if rope_kind != "absent":
            cfg["rope_scaling"] = rs_file
    if window_file != "absent":
        cfg["sliding_window"] = window_file
    if dtype_key is not None:
        cfg[dtype_key] = "bfloat16" if store == "BF16" else "float32"

    ref = dict(cfg)
    ref.pop("rope_parameters", None)
    ref.update(num_key_value_heads=kv, head_dim=hd, rope_theta=theta, rope_scaling=rs_ref)
    ref["sliding_window"] = window_ref if model_type == "mistral" else None
    if t > max_pos:
        tags.append("past_max_pos")

    if "ids" in f:
        ids = f["ids"]
    else:
        ids = [rng.randrange(vocab) for _ in range(t)]
    return {
        "config": cfg, "ref": ref, "ids": ids, "store": store, "shards": shards, "tags": tags,
        "qk_scale": (rng.choice([1, 2, 4]), rng.choice([1, 2, 4])),
        # logits ~ N(0, d/3) with a uniform(-1, 1) head on a unit-RMS state: a power of two near sqrt(12 / d)
        # brings their spread to ~2 (the largest of V logits O(1)-O(10)) and keeps bf16 weights exact.
        "head_scale": 2.0 ** round(math.log2(math.sqrt(12 / hidden))),
        "weight_seed": rng.randrange(1 << 30),
    }


def summary(case):
    r = case["ref"]
    rs = r["rope_scaling"]
    rope = "none" if rs is None else rs.get("rope_type", rs.get("type"))
    w = r["sliding_window"]
    return (f"{r['model_type'][:7]:7s} d{r['hidden_size']} f{r['intermediate_size']} L{r['num_hidden_layers']} "
            f"H{r['num_attention_heads']}/G{r['num_key_value_heads']} hd{r['head_dim']} V{r['vocab_size']} "
            f"T{len(case['ids'])} maxpos{r['max_position_embeddings']} rope={rope} "
            f"{'tied' if r['tie_word_embeddings'] else 'untied'} win={w} {case['store']} x{case['shards']}")


# ---------------------------------------------------------------- weights, reference, Java

def make_weights(case):
    """golden_llama.make_parameters (norms near 1, projections uniform / sqrt(fan_in), bf16-rounded for BF16) with
    q/k and the head scaled by powers of two (exact in bf16): sharper attention, logits O(1)-O(10)."""
    ref = case["ref"]
    params = gl.make_parameters(ref, case["weight_seed"], case["store"])
    sq, sk = case["qk_scale"]
    for name in params:
        if name.endswith("q_proj.weight"):
            params[name] = params[name] * sq
        elif name.endswith("k_proj.weight"):
            params[name] = params[name] * sk
    head = "model.embed_tokens.weight" if ref["tie_word_embeddings"] else "lm_head.weight"
    params[head] = params[head] * case["head_scale"]
    return params


def reference_logits(case, params, cross_check):
    ref = case["ref"]
    ids = torch.tensor([case["ids"]], dtype=torch.int64)
    inv = gl.inv_freq_hf(ref)
    hand = gl.inv_freq_by_hand(ref)
    # golden_llama checks the two with rtol 1e-6, enough for its fixed factor 8. HF's llama3 band is computed in
    # float32 (the definition, which inv_freq_hf and the Java side follow); in the interpolated band its rounding
    # against the float64 formula grows as ~ eps32 * factor * high / (high - low) (the smoothing weight s is
    # rounded, and d inv / d s ~ inv (1 - 1/factor) while inv ~ inv/factor where s ~ 0), so random factors up to 40
    # and close low/high factors need a wider bound for this sanity check of the reference.
    rtol = 1e-6
    rs = ref["rope_scaling"]
    if rs is not None and rs.get("rope_type", rs.get("type")) == "llama3":
        rtol += 4 * 2.0 ** -24 * max(1.0, rs["factor"]) * rs["high_freq_factor"] / (
            rs["high_freq_factor"] - rs["low_freq_factor"])
    if not torch.allclose(inv.double(), hand, rtol=rtol, atol=0):
        raise RuntimeError(f"reference: inv_freq {inv.tolist()} != by hand {hand.tolist()}")
    cos, sin = gl.rope_tables(inv, ids.shape[1])
    p = {n: w.double() for n, w in params.items()}
    with torch.no_grad():
        logits = gl.forward(ref, p, ids, cos, sin)[0]
        if cross_check:
            other = gl.forward_by_hand(ref, p, ids, cos, sin)[0]
            d = (other - logits).abs().max().item()
            if d > 1e-9:
                raise RuntimeError(f"reference: forward and forward_by_hand disagree by {d}")
    return logits


def feature_effects(case, params, logits):
    """How much the features under test move the reference logits (max |change| over all positions when the
    feature is removed): a feature whose effect is ~0 in a case is not really tested by it."""
    ref, effects = case["ref"], {}
    ids = torch.tensor([case["ids"]], dtype=torch.int64)
    p = {n: w.double() for n, w in params.items()}
    ablations = []
    rs = ref["rope_scaling"]
    if rs is not None:
        ablations.append(("rope_scaling_" + rs.get("rope_type", rs.get("type")), dict(ref, rope_scaling=None)))
    if ref["model_type"] == "mistral" and ref["sliding_window"] is not None and ref["sliding_window"] < ids.shape[1]:
        ablations.append(("window", dict(ref, sliding_window=None)))
    for name, other in ablations:
        cos, sin = gl.rope_tables(gl.inv_freq_hf(other), ids.shape[1])
        with torch.no_grad():
            effects[name] = (gl.forward(other, p, ids, cos, sin)[0] - logits).abs().max().item()
    return effects


def effects_summary(cases):
    """One line per feature: how much removing it changed the reference logits over the cases that have it
    (feature_effects), so that a feature the cases never exercised shows up as a change near 0."""
    eff = {}
    for case in cases:
        for k, v in case.get("effects", {}).items():
            eff.setdefault(k, []).append(v)
    return [f"effect of {k} on the reference logits (max |change| when removed): {len(vs)} cases, "
            f"min {min(vs):.2g}, median {sorted(vs)[len(vs) // 2]:.2g}, max {max(vs):.2g}"
            for k, vs in sorted(eff.items())]


def run_java(jar_cmd, directory, ids):
    cmd = shlex.split(jar_cmd) + ["logits", "--model", directory, "--ids", " ".join(map(str, ids)), "--json"]
    env = dict(os.environ)
    env.setdefault("JAVA_HOME", DEFAULT_JAVA_HOME)
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    stderr = [l for l in p.stderr.splitlines() if l.strip() and not l.startswith(JVM_NOISE)]
    return cmd, p.returncode, p.stdout, stderr


def compare(case, logits, rc, stdout, stderr):
    """-> (max abs diff or None, list of problems)."""
    problems = []
    t, v = len(case["ids"]), case["ref"]["vocab_size"]
    max_pos = case["ref"]["max_position_embeddings"]
    past = [l for l in stderr if "past max_position_embeddings" in l]
    other = [l for l in stderr if l not in past]
    if t > max_pos:
        want = f"minitron logits: warning: {t} ids, past max_position_embeddings {max_pos}"
        if len(past) != 1 or not past[0].startswith(want):
            problems.append(f"expected one warning starting {want!r}, stderr {stderr}")
    elif past:
        problems.append(f"unexpected past-max warning at T={t} <= {max_pos}: {past}")
    if other:
        problems.append(f"unexpected stderr: {other}")
    if rc != 0:
        problems.append(f"exit code {rc}")
        return None, problems
    lines = stdout.splitlines()
    if len(lines) != 1:
        problems.append(f"stdout has {len(lines)} lines, expected 1")
        if not lines:
            return None, problems
    try:
        out = json.loads(lines[-1])
    except ValueError as e:
        problems.append(f"stdout is not JSON: {e}")
        return None, problems
    last, argmax = out.get("last"), out.get("argmax")
    if not isinstance(last, list) or len(last) != v:
        problems.append(f"last: expected {v} values, got {None if last is None else len(last)}")
        return None, problems
    if not isinstance(argmax, list) or len(argmax) != t:
        problems.append(f"argmax: expected {t} ids, got {None if argmax is None else len(argmax)}")
        argmax = None
    java = torch.tensor([float("nan") if x is None else x for x in last], dtype=torch.float64)
    want = logits[-1]
    diff = (java - want).abs()
    max_diff = diff.max().item()
    if math.isnan(max_diff) or not math.isfinite(max_diff):
        problems.append("non-finite logit in Java's output")
        max_diff = float("inf")
    bad = (diff > ATOL + RTOL * want.abs()) | diff.isnan()
    if bad.any():
        i = int(diff.nan_to_num(float("inf")).argmax())
        problems.append(f"last: {int(bad.sum())}/{v} logits outside {ATOL} + {RTOL}|ref|; worst id {i}: "
                        f"java {java[i].item()!r} ref {want[i].item()!r}")
    case["max_abs_ref"] = want.abs().max().item()
    if argmax is not None:
        top2 = logits.topk(min(2, v), dim=-1)
        case["argmax_checked"] = 0
        for pos in range(t):
            gap = (top2.values[pos, 0] - top2.values[pos, 1]).item() if v > 1 else float("inf")
            case["argmax_checked"] += gap > ARGMAX_GAP
            if gap > ARGMAX_GAP and argmax[pos] != int(top2.indices[pos, 0]):
                problems.append(f"argmax at position {pos}: java {argmax[pos]} ref {int(top2.indices[pos, 0])} "
                                f"(ref gap {gap:.3g})")
    return max_diff, problems


def write_repro(directory, case, cmd, rc, stdout, stderr, logits, problems):
    with open(os.path.join(directory, "repro.json"), "w") as f:
        json.dump({"command": " ".join(shlex.quote(c) for c in cmd), "ids": case["ids"], "tags": case["tags"],
                   "reference_config": case["ref"], "qk_scale": case["qk_scale"], "head_scale": case["head_scale"],
                   "weight_seed": case["weight_seed"], "problems": problems, "exit_code": rc,
                   "stderr": stderr, "java_stdout": stdout,
                   "reference_last": None if logits is None else logits[-1].tolist()}, f, indent=1)
        f.write("\n")


def run_case(name, case, args, base):
    directory = os.path.join(base, name)
    params = make_weights(case)
    gl.write_checkpoint(directory, case["config"], params, case["store"], case["shards"])
    logits = reference_logits(case, params, not args.no_cross_check)
    case["effects"] = feature_effects(case, params, logits)
    cmd, rc, stdout, stderr = run_java(args.jar_cmd, directory, case["ids"])
    max_diff, problems = compare(case, logits, rc, stdout, stderr)
    if problems or args.keep_all:
        write_repro(directory, case, cmd, rc, stdout, stderr, logits, problems)
    if not problems and not args.keep_all:
        shutil.rmtree(directory)
    return max_diff, problems


def run_refusal(name, case, bad_ids, args, base):
    """ids outside [0, V): exit code 1, one `minitron logits: ...` line on stderr, nothing on stdout."""
    directory = os.path.join(base, name)
    params = make_weights(case)
    gl.write_checkpoint(directory, case["config"], params, case["store"], case["shards"])
    cmd, rc, stdout, stderr = run_java(args.jar_cmd, directory, bad_ids)
    problems = []
    if rc != 1:
        problems.append(f"exit code {rc}, expected 1")
    if stdout.strip():
        problems.append(f"stdout not empty: {stdout[:200]!r}")
    if len(stderr) != 1 or not stderr[0].startswith("minitron logits: ") or "vocab_size" not in stderr[0]:
        problems.append(f"expected one 'minitron logits: ... vocab_size ...' line on stderr, got {stderr}")
    if problems or args.keep_all:
        write_repro(directory, dict(case, ids=bad_ids), cmd, rc, stdout, stderr, None, problems)
    if not problems and not args.keep_all:
        shutil.rmtree(directory)
    return problems, (stderr[0] if stderr else "")


# ---------------------------------------------------------------- edge cases

def edge_cases(seed):
    """(name, case) pairs of degenerate-but-valid inputs, each from its own seeded draw."""
    def draw(k, **force):
        return draw_case(random.Random(f"edge:{seed}:{k}"), **force)

    out = [("single_token", draw(0, seq=1)),
           ("single_token_mistral_window1", draw(1, seq=1, model_type="mistral", window="exact", window_size=1))]
    c = draw(2, seq=23)
    v = c["ref"]["vocab_size"]
    out.append(("ids_all_vocab_max", draw(2, seq=23, ids=[v - 1] * 23)))
    c = draw(3, seq=17, tie=True)
    v = c["ref"]["vocab_size"]
    out.append(("ids_0_and_vocab_max_tied", draw(3, seq=17, tie=True, ids=[(v - 1) * (i % 2) for i in range(17)])))
    out.append(("seq_eq_max_pos", draw(4, seq=24, max_pos=24)))
    out.append(("seq_eq_max_pos_llama3", draw(5, seq=32, max_pos=32, rope="llama3")))
    out.append(("seq_max_pos_plus_1", draw(6, seq=25, max_pos=24)))
    out.append(("seq_max_pos_plus_1_linear_mistral", draw(7, seq=33, max_pos=32, rope="linear", model_type="mistral")))
    out.append(("seq_far_past_max_pos_llama3", draw(8, seq=40, max_pos=4, rope="llama3")))
    out.append(("max_pos_1_seq_1", draw(9, seq=1, max_pos=1)))
    out.append(("max_pos_1_seq_2", draw(10, seq=2, max_pos=1)))
    out.append(("mistral_window_1", draw(11, seq=20, model_type="mistral", window="exact", window_size=1)))
    out.append(("mistral_window_T_minus_1", draw(12, seq=20, model_type="mistral", window="exact", window_size=19)))
    out.append(("mistral_window_T", draw(13, seq=20, model_type="mistral", window="exact", window_size=20)))
    out.append(("mistral_window_2_3layers_bf16_sharded", draw(14, seq=40, model_type="mistral", window="exact",
                                                              window_size=2, layers=3, store="BF16", shards=3)))
    out.append(("vocab_50_mqa", draw(15, vocab=50, heads=8, kv=1)))
    # num_key_value_heads absent from a mistral config of 16 heads: MistralConfig's default 8 (GQA 16 on 8)
    out.append(("mistral_16_heads_kv_heads_absent", draw(16, model_type="mistral", heads=16, kv=8, kv_mode="absent",
                                                         hd_mode="absent", seq=12)))
    return out


# ---------------------------------------------------------------- main

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=40, help="random cases (default 40)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    ap.add_argument("--jar-cmd", default="./minitron", help="command that runs the CLI, run from the repository root")
    ap.add_argument("--out", default="/tmp/fuzz", help="scratch directory (default /tmp/fuzz)")
    ap.add_argument("--keep-all", action="store_true", help="keep every case's directory, not just failures")
    ap.add_argument("--no-edge", action="store_true", help="skip the fixed degenerate cases")
    ap.add_argument("--no-cross-check", action="store_true",
                    help="skip golden_llama.forward_by_hand (the reference's independent second forward)")
    ap.add_argument("--only", type=int, action="append", help="run only this random case index (repeatable)")
    args = ap.parse_args(argv)

    os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    torch.set_num_threads(1)
    base = os.path.join(args.out, f"seed-{args.seed}")
    os.makedirs(base, exist_ok=True)
    start = time.time()
    results = []   # (name, case, max_diff, problems)

    plan = []
    for i in range(args.cases):
        case = draw_case(random.Random(f"{args.seed}:{i}"))
        if args.only is None or i in args.only:
            plan.append((f"case-{i:03d}", case))
    if not args.no_edge and args.only is None:
        plan += [("edge-" + n, c) for n, c in edge_cases(args.seed)]

    for name, case in plan:
        try:
            max_diff, problems = run_case(name, case, args, base)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            max_diff, problems = None, [f"{type(e).__name__}: {e}"]
        results.append((name, case, max_diff, problems))
        md = "   n/a  " if max_diff is None else f"{max_diff:.2e} (|ref| <= {case['max_abs_ref']:4.1f})"
        eff = "".join(f" effect[{k}]={v:.2g}" for k, v in case.get("effects", {}).items())
        print(f"{name:44s} {'FAIL' if problems else 'ok  '} max|diff| {md}  {summary(case)}{eff}", flush=True)
        for p in problems:
            print(f"    {p}", flush=True)

    refusals = []
    if not args.no_edge and args.only is None:
        case = draw_case(random.Random(f"edge:{args.seed}:refuse"), seq=5)
        v = case["ref"]["vocab_size"]
        for label, bad in (("id_eq_vocab", [0, v, 1]), ("id_negative", [3, -1])):
            problems, line = run_refusal("edge-refuse-" + label, case, bad, args, base)
            refusals.append((label, problems))
            print(f"{'edge-refuse-' + label:44s} {'FAIL' if problems else 'ok  '} {line}", flush=True)
            for p in problems:
                print(f"    {p}", flush=True)

    # summary
    failed = [r for r in results if r[3]] + [r for r in refusals if r[1]]
    diffs = [r[2] for r in results if r[2] is not None]
    print()
    print(f"{len(results)} logits cases ({len([r for r in results if r[0].startswith('case-')])} random, seed "
          f"{args.seed}; {len([r for r in results if r[0].startswith('edge-')])} edge) + {len(refusals)} refusals in "
          f"{time.time() - start:.0f} s: {len(failed)} failed; max |diff| overall "
          f"{max(diffs) if diffs else float('nan'):.3e}")
    positions = sum(len(r[1]["ids"]) for r in results)
    checked = sum(r[1].get("argmax_checked", 0) for r in results)
    print(f"argmax compared at {checked} of {positions} positions (the others: reference top-2 gap <= {ARGMAX_GAP})")
    per = {}
    for name, case, md, problems in results:
        for tag in case["tags"]:
            e = per.setdefault(tag, [0, 0.0, 0])
            e[0] += 1
            e[1] = max(e[1], md if md is not None else float("inf"))
            e[2] += bool(problems)
    print("per feature: cases, max |diff|, failures")
    for tag in sorted(per):
        n, md, nf = per[tag]
        print(f"  {tag:34s} {n:3d}  {md:.2e}  {nf}")
    for line in effects_summary([case for _, case, _, _ in results]):
        print(line)
    if not failed and not args.keep_all:
        try:
            os.rmdir(base)   # empty: every case passed and was deleted
        except OSError:
            pass
    if failed:
        print(f"failing cases kept under {base}: " + ", ".join(r[0] for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
