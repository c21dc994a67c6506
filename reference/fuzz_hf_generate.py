"""Differential check of Minitron-J's generation against the real Hugging Face `transformers` generate.

reference/fuzz_hf_transformers.py compares single forwards (logits) with transformers; this script compares what
is built on top of them.

Part `filters` (the sampling distribution). Seeded random rows of float32 logits go through
  - Minitron-J: reference/SampleFilters.java (one JVM for all rows) prints Sampler.filteredLogits' kept set and
    Sampler.probabilities;
  - transformers: the LogitsProcessorList that GenerationMixin._get_logits_processor builds for
    GenerationConfig(do_sample=True, temperature=T, top_k=K, top_p=P) on a tiny model (in 5.18:
    TemperatureLogitsWarper if T != 1, TopKLogitsWarper if K != 0, TopPLogitsWarper if P < 1, in that order,
    min_tokens_to_keep 1 as for num_beams 1; the script checks the order it gets), applied to the float32 row as
    generate applies them (its logits are cast to float32), then softmax.
  A row passes when the kept sets (tokens whose score is not -inf after the warpers) are equal and every
  probability is within 1e-6 of the float64 softmax of transformers' filtered float32 scores (the distribution its
  warpers define) and within 1e-6 of transformers' float32 softmax, except in rows where that float32 softmax is
  itself more than 1e-6 from its float64 one (a float32 sum of ~1000 small terms onto a large one; counted).
  Two kinds of difference in the kept set are counted but not failed, because transformers' own answer there is
  not defined by its semantics:
  - tie order: tokens of exactly equal float32 score cut by the top-p boundary: transformers keeps those that
    torch.sort happens to put last (it is not stable on CPU: on 300 tie-heavy rows of 1-5000 logits its order
    among equal keys differed from a stable sort's in 156); Minitron-J keeps the lowest indices. Passes when the
    kept scores are equal as a multiset and the sorted kept probabilities within 1e-6;
  - rounding boundary: the top-p cut differs by tokens at a place where the probability mass above it is within
    1e-6 of P (transformers compares a float32 cumulative sum, summed from the least probable token, with
    float32(1 - P); Minitron-J sums doubles from the most probable).
  Rows draw: vocabulary sizes 1-5000; logits normal at scales 1e-2..30, small integers (many ties), a few repeated
  values, neighbouring float32 values (ties that appear only after dividing by T in float32), magnitudes up to
  1e30 and down to 1e-38, a few large values over a low floor, -inf entries (up to all but one), and "dyadic" rows
  (2^m equal logits over a -inf or far lower rest: probabilities exactly 2^-m) with P = j / 2^m landing exactly on
  a cumulative sum; top_k 0, 1, random, the size of the top tie group, V and beyond; top_p 1, random, 1e-9,
  exactly a cumulative sum of the row's float64 probabilities, or of transformers' float32 ones; T 0.05-5 and 1.

Part `greedy` (greedy generation with the KV cache). Models: a copy of the bundled teacher
(transformer/src/main/resources/minitron/teacher: BF16, GQA 6/2, head_dim 32, its tokenizer) and random tiny
configurations (reference/fuzz_llama.draw_case, built by transformers and written by save_pretrained as in
fuzz_hf_transformers.py part jar; the first few forced to cover llama3 and linear RoPE scaling, head_dim != hidden
/ heads, tied embeddings, GQA, Mistral sliding windows shorter than prompt + generation, BF16 and shards) with a
tokenizer: the teacher's (vocab_size 2048) or one `minitron tokenizer train --data brown:heldout --vocab-size 600`
writes (vocab_size 600, or 640: ids past the tokenizer's); config.json's bos/eos are the tokenizer's.
For each prompt (text, encoded as `minitron generate` encodes it, or random ids):
  - ours: reference/GenerateIds.java (Generator with the KV cache, greedy, the EOS ids of `minitron generate`:
    generation_config.json's eos_token_id, else config.json's, else the tokenizer's EOS) gives the prompt ids and
    the new ids;
  - transformers: AutoModelForCausalLM.from_pretrained(eager attention).generate(prompt ids, do_sample=False,
    max_new_tokens=N) in float32 and, after model.double(), in float64 (generate casts each step's logits to float32
    before its argmax); one uncached float64 forward over prompt + the float64 path gives each step's float64
    logits: their top-2 gap, and a check that the cached path picked their argmax;
  - the ids are compared step by step with the float64 path up to the first step whose float64 top-2 gap is below
    1e-4 (there a 1e-6 difference may legitimately pick the other token; the steps compared are counted), and
    both must stop at the same step when no such step came first (EOS or max_new_tokens);
  - text prompts: AutoTokenizer's ids (add_special_tokens=True) must be the prompt ids we use (BOS handling);
  - EOS: for some models a copy whose config.json and generation_config.json list, after the tokenizer's EOS,
    the token the float64 path produces at a random step; both must stop there, at its first occurrence;
  - the CLI: `minitron generate --temperature 0 --prompt S --max-new-tokens N` on the first text prompt of each model
    must print the decode of GenerateIds' ids and report the same stop; where every step was compared,
    transformers' decode of its ids (skip_special_tokens=True) must be the same text.
Where transformers' cached path is not the argmax path of its own uncached forward, the ids are compared with the
latter (greedy, one uncached float64 forward per step) provided that the cause is the one known: transformers 5.18's
DynamicCache builds sliding-window layers (keeping the last W - 1 keys) for any config with a sliding_window
attribute, a llama one too, although LlamaAttention ignores the window (as does Minitron-J, and as
golden_llama.py's forward); and for a sliding_window of 1 its DynamicSlidingWindowLayer keeps
full[:, :, -W + 1:] = full[:, :, 0:], every key (seed 5). Any other such disagreement fails.
Probes (reported, not failed): the EOS rules, each on one model: (a) a tokenizer EOS that config.json does not
list (neither stops at it), (b) a generation_config.json eos_token_id that config.json does not list (both stop at
it; until 2026-11-30 ours read config.json plus the tokenizer's EOS, and both probes differed).

Set up: /tmp/hfenv as in reference/README.md (transformers 5.18.0, torch 2.13 CPU).
Usage (from the repository root; JAVA_HOME a JDK 25; cli/target/minitron.jar built):
    /tmp/hfenv/bin/python reference/fuzz_hf_generate.py [--part all|filters|greedy] [--seed 0] [--rows 1500]
        [--models 16] [--jar cli/target/minitron.jar] [--out /tmp/fuzz-hf-generate] [--keep-all]
Exits 1 on any failure; failing filter rows are written to OUT/filters-failed.jsonl.
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

import transformers  # noqa: E402
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM  # noqa: E402

DEFAULT_JAVA_HOME = "/usr/lib/jvm/temurin-25-jdk-amd64"
JVM_NOISE = ("WARNING: Using incubator modules",)
# transformers' probabilities are float32 (generate casts the logits to float32); ours are double. 1e-6 absolute
# is ~8 float32 ulps at probability 1 and covers the float32 softmax's rounding of every row drawn here.
PROB_ATOL = 1e-6
# A top-p cut is "at the rounding boundary" when the probability mass above it is this close to P: transformers'
# float32 cumulative sum carries errors of ~V * 6e-8 (1e-6 covers V = 5000 summed in doubles by torch's cumsum, whose
# float32 outputs are each rounded once), so its answer there is rounding, not semantics.
BOUNDARY_TOL = 1e-6


def java_cmd(jar, harness):
    java = os.path.join(os.environ.get("JAVA_HOME", DEFAULT_JAVA_HOME), "bin", "java")
    return [java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC",
            "-cp", jar, os.path.join(HERE, harness)]


def run_harness(jar, harness, lines, args=()):
    """Feeds JSON lines to a reference/*.java harness (one JVM); -> list of parsed output lines."""
    p = subprocess.run(java_cmd(jar, harness) + list(args), input="".join(json.dumps(l) + "\n" for l in lines),
                       capture_output=True, text=True, cwd=ROOT, timeout=1800)
    noise = [l for l in p.stderr.splitlines() if l.strip() and not l.startswith(JVM_NOISE)]
    if p.returncode != 0:
        raise RuntimeError(f"{harness} exit {p.returncode}: {noise[-10:]}")
    out = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    if len(out) != len(lines):
        raise RuntimeError(f"{harness}: {len(lines)} cases in, {len(out)} lines out; stderr {noise[-10:]}")
    return out, noise


# ---------------------------------------------------------------- part filters: rows of logits

def f32(x):
    return np.float32(x)


def draw_row(rng, g):
    """-> (kind, float32 numpy row)."""
    v = rng.choice([1, 2, 3, 4, 5, 8, 10, 17, 64, 100, 128, 255, 1000, 2048, 4096, 5000, rng.randint(1, 5000),
                    rng.randint(1, 300)])
    kind = rng.choice(["normal", "normal", "integers", "integers", "repeated", "neighbours", "huge", "tiny", "spiky",
                       "dyadic", "dyadic"])
    if kind == "normal":
        x = g.standard_normal(v) * math.exp(rng.uniform(math.log(1e-2), math.log(30)))
    elif kind == "integers":
        lo = rng.randint(0, 5)
        x = g.integers(-lo, rng.randint(0, 5) + 1, v).astype(np.float64)
    elif kind == "repeated":
        pool = g.standard_normal(rng.randint(1, 5)) * rng.choice([0.5, 2, 10])
        x = pool[g.integers(0, len(pool), v)]
    elif kind == "neighbours":
        # consecutive float32 values: distinct logits whose quotients by T may round to one float32 (a tie for
        # transformers' top-k, which divides in float32), or stay apart
        base = f32(rng.choice([1.0, -1.0]) * rng.uniform(0.5, 20))
        steps = g.integers(0, rng.randint(1, 6), v)
        x = np.array([base] * v, dtype=np.float32)
        for i in range(v):
            for _ in range(int(steps[i])):
                x[i] = np.nextafter(x[i], np.float32(np.inf))
        if rng.random() < 0.5:
            x[g.integers(0, v, max(1, v // 4))] -= f32(rng.uniform(0, 3))
    elif kind == "huge":
        x = g.standard_normal(v) * 10.0 ** rng.uniform(3, 30)
    elif kind == "tiny":
        x = g.standard_normal(v) * 10.0 ** -rng.uniform(8, 38)
    elif kind == "spiky":
        x = g.standard_normal(v) * 0.1 - rng.uniform(0, 50)
        x[g.integers(0, v, rng.randint(1, 4))] = g.standard_normal(rng.randint(1, 3)).max() * 5 + 10
    else:   # dyadic: 2^m equal logits, the rest -inf or far lower (probabilities 2^-m exactly, or nearly)
        m = rng.randint(0, max(0, min(8, int(math.log2(v)))))
        x = np.full(v, -np.inf if rng.random() < 0.5 else -200.0)
        x[g.permutation(v)[:2 ** m]] = rng.choice([0.0, 3.0, -7.5])
        return kind, x.astype(np.float32), m
    x = x.astype(np.float32)
    if rng.random() < 0.25 and v > 1:
        x[g.permutation(v)[:rng.randint(1, v - 1)]] = -np.inf     # at least one finite logit stays
        kind += "+neginf"
    return kind, x, None


def hf_processors(model, t, k, p):
    gc = GenerationConfig(do_sample=True, temperature=float(t), top_k=int(k), top_p=float(p))
    return model._get_logits_processor(generation_config=gc, input_ids_seq_length=1, device="cpu")


EXPECTED_ORDER = ["TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper"]


def hf_filter(procs, row):
    """transformers' warpers on a float32 row; -> (scores after temperature only, after all, float32 probs)."""
    scores = torch.from_numpy(row.copy()).reshape(1, -1)
    ids = torch.zeros((1, 1), dtype=torch.long)
    scaled = None
    for proc in procs:
        scores = proc(ids, scores)
        if type(proc).__name__ == "TemperatureLogitsWarper":
            scaled = scores.clone()
    if scaled is None:
        scaled = torch.from_numpy(row.copy()).reshape(1, -1)
    return scaled[0], scores[0], torch.softmax(scores[0], dim=-1)


def draw_settings(rng, row, model, dyadic_m):
    v = len(row)
    t = rng.choice([1.0, 0.05, 5.0] + [math.exp(rng.uniform(math.log(0.05), math.log(5)))] * 4)
    finite = row[np.isfinite(row)]
    top_tie = int((finite == finite.max()).sum())
    k = rng.choice([0, 0, 1, rng.randint(1, v), rng.randint(1, v), top_tie, v, v + rng.randint(1, 10)])
    how = rng.choice(["off", "random", "random", "tiny", "fixed", "landing64", "landing32"]
                     + (["dyadic", "dyadic", "dyadic"] if dyadic_m is not None else []))
    if how == "off":
        p = 1.0
    elif how == "random":
        p = rng.uniform(0.001, 0.999)
    elif how == "tiny":
        p = 1e-9
    elif how == "fixed":
        p = rng.choice([0.5, 0.9, 0.95, 0.99, 0.999999])
    elif how == "dyadic":
        n = 2 ** dyadic_m
        p = rng.randint(1, n) / n
    else:
        # P on a cumulative sum of the distribution top-p sees (after temperature and top-k): float64 sums from
        # the most probable token, or transformers' own float32 sums (1 - its cumulative sum from the least)
        _, after_k, _ = hf_filter(hf_processors(model, t, k, 1.0), row)
        if how == "landing64":
            q = torch.softmax(after_k.double(), -1).sort(descending=True).values.cumsum(-1)
            p = float(q[rng.randrange(len(q))])
        else:
            q = torch.softmax(after_k, -1).sort().values.cumsum(-1)
            p = 1.0 - float(q[rng.randrange(len(q))])
        if not 0 < p <= 1:
            p = 1.0
    return float(t), int(k), float(p), how


def to_json_row(row):
    return [x if math.isfinite(x) else ("-inf" if x < 0 else ("inf" if x > 0 else "nan")) for x in map(float, row)]


def compare_row(case, hf, ours):
    """-> (status, {"f32": max |ours - hf float32|, "f64": max |ours - hf float64|} or None, problem or None);
    status: same | tie_order | rounding_boundary | FAIL. "hf float64" is the softmax, in float64, of transformers'
    own filtered float32 scores: the exact distribution its warpers define."""
    scaled, after, probs = hf
    if "error" in ours:
        return "FAIL", None, f"SampleFilters: {ours['error']}"
    kept_hf = torch.isfinite(after).nonzero().flatten().tolist()
    kept_ours = ours["kept"]
    p_ours = torch.tensor([float(x) for x in ours["probs"]], dtype=torch.float64)
    p_hf = probs.double()
    p_hf64 = torch.softmax(after.double(), -1)

    def diffs(a_ours, a32, a64):
        d32, d64 = (a_ours - a32).abs(), (a_ours - a64).abs()
        nan = d32.isnan().any() or d64.isnan().any()
        return {"f32": math.inf if nan else float(d32.max()), "f64": math.inf if nan else float(d64.max()),
                "hf32_vs_64": float((a32 - a64).abs().max())}

    def judge(d, where):
        # float64 must agree; float32 too, unless transformers' float32 softmax is itself further than PROB_ATOL
        # from its float64 one (float32 sums of ~1000 small terms onto a large one)
        if d["f64"] > PROB_ATOL:
            return f"{where}: max |p ours - p hf float64| {d['f64']:.3g} > {PROB_ATOL}"
        if d["f32"] > PROB_ATOL and d["hf32_vs_64"] <= PROB_ATOL:
            return f"{where}: max |p ours - p hf float32| {d['f32']:.3g} > {PROB_ATOL}"
        return None

    if kept_hf == kept_ours:
        d = diffs(p_ours, p_hf, p_hf64)
        problem = judge(d, f"same kept set ({len(kept_hf)})")
        return ("FAIL" if problem else "same"), d, problem
    # different kept sets: tokens of equal float32 score cut at the boundary, or a cut at the rounding boundary?
    s_hf = sorted(scaled[kept_hf].tolist())
    s_ours = sorted(scaled[kept_ours].tolist())
    if s_hf == s_ours:
        d = diffs(p_ours[kept_ours].sort().values, p_hf[kept_hf].sort().values, p_hf64[kept_hf].sort().values)
        problem = judge(d, "tie order: sorted kept probabilities")
        return ("FAIL" if problem else "tie_order"), d, problem
    p = case["top_p"]
    detail = (f"kept {len(kept_hf)} (hf) vs {len(kept_ours)} (ours); only hf "
              f"{sorted(set(kept_hf) - set(kept_ours))[:8]}, only ours {sorted(set(kept_ours) - set(kept_hf))[:8]}")
    if p < 1:
        # top-k alone (the row with P = 1) must agree; the top-p cut is then checked for a rounding boundary
        after_k = case["hf_after_k"]
        if case["ours_after_k"] != torch.isfinite(after_k).nonzero().flatten().tolist():
            return "FAIL", None, "top-k alone already differs; " + detail
        # both kept sets must be the most probable tokens (by float32 score; equal scores in any order), of
        # sizes n1 <= n2, and the mass of the top n1 must be within BOUNDARY_TOL of P
        finite = torch.isfinite(after_k).nonzero().flatten().tolist()
        top = sorted((float(scaled[i]) for i in finite), reverse=True)
        prefix = all(sorted((float(scaled[i]) for i in kept), reverse=True) == top[:len(kept)]
                     for kept in (kept_hf, kept_ours))
        mass = torch.softmax(after_k.double(), -1)[finite].sort(descending=True).values.cumsum(0)
        n1 = min(len(kept_hf), len(kept_ours))
        if prefix and n1 >= 1 and abs(float(mass[n1 - 1]) - p) <= BOUNDARY_TOL:
            return "rounding_boundary", None, None
    return "FAIL", None, detail


def part_filters(args):
    print(f"part filters: {args.rows} rows, seed {args.seed}", flush=True)
    t0 = time.time()
    model = LlamaForCausalLM(LlamaConfig(vocab_size=8, hidden_size=8, intermediate_size=8, num_hidden_layers=1,
                                         num_attention_heads=1, num_key_value_heads=1))
    order = [type(p).__name__ for p in hf_processors(model, 0.5, 3, 0.9)]
    problems = []
    if order != EXPECTED_ORDER or hf_processors(model, 1.0, 0, 1.0):
        problems.append(f"transformers' warper order is {order} (and {list(hf_processors(model, 1.0, 0, 1.0))} "
                        f"for T 1, K 0, P 1), not {EXPECTED_ORDER}: this script and Sampler assume it")
    procs0 = hf_processors(model, 0.5, 3, 0.9)
    mins = sorted({p.min_tokens_to_keep for p in procs0 if hasattr(p, "min_tokens_to_keep")})
    if mins != [1]:
        problems.append(f"min_tokens_to_keep {mins}, expected [1] (num_beams 1)")
    cases, lines = [], []
    for i in range(args.rows):
        rng = random.Random(f"filters:{args.seed}:{i}")
        g = np.random.default_rng(rng.randrange(1 << 62))
        kind, row, m = draw_row(rng, g)
        t, k, p, how = draw_settings(rng, row, model, m)
        case = {"index": i, "kind": kind, "V": len(row), "temperature": t, "top_k": k, "top_p": p, "top_p_kind": how}
        hf = hf_filter(hf_processors(model, t, k, p), row)
        case["hf"] = hf
        if p < 1:
            case["hf_after_k"] = hf_filter(hf_processors(model, t, k, 1.0), row)[1]
        cases.append((case, row))
        lines.append({"logits": to_json_row(row), "temperature": t, "top_k": k, "top_p": p})
        if p < 1:
            lines.append({"logits": lines[-1]["logits"], "temperature": t, "top_k": k, "top_p": 1.0})
    t1 = time.time()
    out, noise = run_harness(args.jar, "SampleFilters.java", lines)
    t2 = time.time()
    j = 0
    for case, row in cases:
        ours = out[j]
        j += 1
        if case["top_p"] < 1:
            case["ours_after_k"] = out[j].get("kept")
            j += 1
        case["status"], case["diff"], case["problem"] = compare_row(case, case["hf"], ours)
    counts = {}
    for case, _ in cases:
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    failed = [(c, r) for c, r in cases if c["status"] == "FAIL"]
    worst = {key: max((c["diff"][key] for c, _ in cases if c["diff"] is not None), default=float("nan"))
             for key in ("f32", "f64", "hf32_vs_64")}
    hf32_off = sum(1 for c, _ in cases if c["diff"] is not None and c["diff"]["hf32_vs_64"] > PROB_ATOL)
    f32_accurate = max((c["diff"]["f32"] for c, _ in cases
                        if c["diff"] is not None and c["diff"]["hf32_vs_64"] <= PROB_ATOL), default=float("nan"))
    by_kind = {}
    for c, _ in cases:
        e = by_kind.setdefault(c["kind"].split("+")[0], [0, 0.0, 0])
        e[0] += 1
        e[1] = max(e[1], c["diff"]["f32"] if c["diff"] else 0.0)
        e[2] += c["status"] == "FAIL"
    for c, _ in failed[:20]:
        print(f"  FAIL row {c['index']} {c['kind']} V{c['V']} T {c['temperature']!r} top_k {c['top_k']} top_p "
              f"{c['top_p']!r} ({c['top_p_kind']}): {c['problem']}")
    for p in problems:
        print(f"  FAIL {p}")
    print(f"  transformers' warpers for T 0.5, K 3, P 0.9: {order}, min_tokens_to_keep {mins}")
    print(f"  rows by kind (rows, max |p ours - p hf|, failures): "
          + ", ".join(f"{k} {n}/{d:.1e}/{f}" for k, (n, d, f) in sorted(by_kind.items())))
    statuses = ("same", "tie_order", "rounding_boundary", "FAIL")
    per_how = {h: [sum(1 for c, _ in cases if c["top_p_kind"] == h and c["status"] == st) for st in statuses]
               for h in sorted({c["top_p_kind"] for c, _ in cases})}
    print("  top_p kinds (rows: same / tie order / rounding boundary / failed): "
          + ", ".join(f"{h} {'/'.join(map(str, n))}" for h, n in per_how.items()))
    print(f"  vocabulary sizes {min(c['V'] for c, _ in cases)}-{max(c['V'] for c, _ in cases)}, "
          f"{sum(c['V'] for c, _ in cases)} logits; {len(lines)} harness lines in {t2 - t1:.1f} s, "
          f"transformers in {t1 - t0:.1f} s")
    print(f"  max |p ours - p hf float64| {worst['f64']:.3e}; max |p hf float32 - p hf float64| "
          f"{worst['hf32_vs_64']:.3e} (over {PROB_ATOL} in {hf32_off} rows: there float32 is not the bar)")
    print(f"part filters: {len(cases)} rows: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; max |p ours - p hf float32| {worst['f32']:.3e} ({f32_accurate:.3e} in the rows where transformers' "
          f"float32 is within {PROB_ATOL} of its float64); {len(failed) + len(problems)} failures")
    if failed:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, "filters-failed.jsonl")
        with open(path, "w") as f:
            for c, row in failed:
                f.write(json.dumps({"logits": to_json_row(row), "temperature": c["temperature"], "top_k": c["top_k"],
                                    "top_p": c["top_p"], "kind": c["kind"], "problem": c["problem"]}) + "\n")
        print(f"  failing rows written to {path} (SampleFilters.java reads it as it is)")
    return len(failed) + len(problems)


# ---------------------------------------------------------------- part greedy: KV-cache generation

PROMPTS = ["The jury said it did find that", "Once upon a time, in a small town,", "He said: \"I'll be there at 10.\"",
           "the", "Ünïcödé café — 3.14159 naïve", "In the morning the", "It was the best of",
           "  two  spaces\tand a tab"]
GAP_MIN = 1e-4   # the brief's bar: steps from the first one whose float64 top-2 gap is below this are not compared

# the first random models are forced to cover these (fuzz_llama.draw_case's keyword pins)
FORCED = [dict(model_type="llama", rope="llama3", hd_mode="explicit_other", tie=True, store="F32"),
          dict(model_type="mistral", window="small", heads=4, kv=2, store="BF16", tie=False),
          dict(model_type="llama", rope="linear", heads=6, kv=2, store="BF16", tie=False, shards=2),
          dict(model_type="mistral", window="exact", window_size=2, layers=3, hd_mode="explicit_other", store="F32"),
          dict(model_type="mistral", window="exact", window_size=7, rope="llama3", tie=True, heads=8, kv=2),
          dict(model_type="llama", heads=4, kv=1, hd_mode="explicit_default", store="BF16", tie=True)]


def run_cli(args, argv, timeout=600):
    env = dict(os.environ)
    env.setdefault("JAVA_HOME", DEFAULT_JAVA_HOME)
    # bytes, decoded without newline translation: a generated "\r" must stay one
    p = subprocess.run(args.jar_cmd.split() + argv, cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    stderr = [l for l in p.stderr.decode("utf-8", "replace").splitlines()
              if l.strip() and not l.startswith(JVM_NOISE)]
    return p.returncode, p.stdout.decode("utf-8"), stderr


def tokenizer_ids(directory):
    cfg = json.load(open(os.path.join(directory, "tokenizer_config.json")))
    vocab = json.load(open(os.path.join(directory, "tokenizer.json")))
    ids = {t["content"]: t["id"] for t in vocab["added_tokens"]}
    size = max(max(vocab["model"]["vocab"].values()), max(ids.values())) + 1
    return ids[cfg["bos_token"]], ids[cfg["eos_token"]], size


def make_models(args, base):
    """-> [model dict]: name, dir, tags, cases [(prompt dict, N)]."""
    import fuzz_hf_transformers as fh
    import fuzz_llama as fl
    fh.ARGS = args
    teacher = os.path.join(base, "teacher")
    os.makedirs(teacher)
    for f in os.listdir(fh.TEACHER):
        if f.endswith((".json", ".safetensors")):
            shutil.copy(os.path.join(fh.TEACHER, f), teacher)
    models = [{"name": "teacher", "dir": teacher, "tags": ["teacher", "BF16", "GQA"], "text": True,
               "cases": [({"prompt": p}, 40) for p in PROMPTS[:4]] + [({"ids": [2040, 5, 900, 77, 1500]}, 40)]}]
    trained = os.path.join(base, "tokenizer_trained")
    rc, _, err = run_cli(args, ["tokenizer", "train", "--data", "brown:heldout", "--vocab-size", "600",
                                "--out", trained])
    if rc != 0:
        raise RuntimeError(f"minitron tokenizer train: exit {rc}: {err[-3:]}")
    for i in range(args.models):
        rng = random.Random(f"greedy:{args.seed}:{i}")
        tok_dir = teacher if rng.random() < 0.6 else trained
        bos, eos, tok_vocab = tokenizer_ids(tok_dir)
        vocab = 2048 if tok_dir == teacher else rng.choice([tok_vocab, tok_vocab, tok_vocab + 40])
        n_new = rng.randint(8, 40)
        prompt_len = rng.randint(1, 16)
        force = dict(FORCED[i]) if i < len(FORCED) else {}
        case = fh.hf_case(fl.draw_case(rng, vocab=vocab, seq=prompt_len + n_new, **force))
        cfg, ref = case["config"], case["ref"]
        cfg["bos_token_id"], cfg["eos_token_id"] = bos, eos
        if cfg["max_position_embeddings"] < prompt_len + n_new and rng.random() < 0.7:
            cfg["max_position_embeddings"] = ref["max_position_embeddings"] = prompt_len + n_new + rng.randint(0, 64)
        directory = os.path.join(base, f"model-{i:03d}")
        params = fl.make_weights(case)
        problems = fh.build_and_save(case, params, directory)
        if problems:
            raise RuntimeError(f"model-{i:03d}: {problems}")
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(tok_dir, f), directory)
        tags = list(case["tags"]) + ["tok_teacher" if tok_dir == teacher else "tok_trained"]
        if vocab > tok_vocab:
            tags.append("vocab_padded")
        ids = [rng.randrange(vocab) for _ in range(prompt_len)]
        models.append({"name": f"model-{i:03d}", "dir": directory, "tags": tags, "summary": fl.summary(case),
                       "text": True, "eos_variant": i % 3 == 0,
                       "cases": [({"prompt": rng.choice(PROMPTS)}, n_new), ({"ids": ids}, n_new)]})
    return models


def hf_generate(model, ids, n, eos):
    """transformers' greedy generate; -> new ids."""
    x = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        out = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False, max_new_tokens=n,
                             pad_token_id=eos, return_dict_in_generate=True)
    return out.sequences[0, len(ids):].tolist()


def float64_steps(model, ids, new):
    """The float64 logits of every step of a path, from one uncached forward over prompt + new ids; -> (V,) list."""
    if not new:
        return []
    x = torch.tensor([ids + new[:-1]], dtype=torch.long)
    with torch.no_grad():
        logits = model(input_ids=x, use_cache=False).logits[0]
    return [logits[len(ids) - 1 + s] for s in range(len(new))]


def first_new_steps(path, eos):
    """Steps >= 1 of a path whose token did not occur before (and is not eos): where an EOS id added for that token
    stops generation."""
    return [s for s in range(1, len(path)) if path[s] not in path[:s] and path[s] != eos]


def hf_uncached_greedy(model, ids, n, eos_list):
    """Greedy decoding with one uncached forward per step (the model's own semantics, no cache); -> (new ids,
    float64 logits of each step). As generate, the argmax is taken on the logits cast to float32."""
    seq, new, steps = list(ids), [], []
    with torch.no_grad():
        for _ in range(n):
            logits = model(input_ids=torch.tensor([seq]), use_cache=False).logits[0, -1]
            steps.append(logits)
            new.append(int(logits.float().argmax()))
            seq.append(new[-1])
            if new[-1] in eos_list:
                break
    return new, steps


def compare_paths(ours, stop_ours, hf, steps64):
    """-> (steps compared, all compared?, problem or None). steps64: float64 logits along hf's path."""
    for s in range(max(len(ours), len(hf))):
        if s >= len(hf) or s >= len(ours):
            return s, False, (f"ours {'stopped' if s >= len(ours) else 'went on'} at step {s} ({stop_ours}), "
                              f"transformers {'stopped' if s >= len(hf) else 'went on'}")
        top2 = steps64[s].topk(min(2, steps64[s].numel())).values
        gap = float(top2[0] - top2[1]) if top2.numel() > 1 else math.inf
        if gap < GAP_MIN:
            return s, False, None
        if ours[s] != hf[s]:
            return s, False, (f"step {s}: ours {ours[s]}, transformers {hf[s]} (float64 top-2 gap {gap:.3g}); "
                              f"ours {ours[:s + 1]}, transformers {hf[:s + 1]}")
    return len(hf), True, None


def eos_variant(src, dst, eos_list, tokenizer_eos=None):
    """A copy of model folder src (files linked) whose config.json and generation_config.json list eos_list; with
    tokenizer_eos, tokenizer_config.json's eos_token is that token string instead (config files untouched)."""
    os.makedirs(dst)
    for f in os.listdir(src):
        if f in ("config.json", "generation_config.json", "tokenizer_config.json"):
            continue
        os.symlink(os.path.join(src, f), os.path.join(dst, f))
    for f in ("config.json", "generation_config.json", "tokenizer_config.json"):
        path = os.path.join(src, f)
        if not os.path.exists(path):
            continue
        obj = json.load(open(path))
        if f == "tokenizer_config.json":
            if tokenizer_eos is not None:
                obj["eos_token"] = tokenizer_eos
        elif eos_list is not None:
            obj["eos_token_id"] = eos_list
        with open(os.path.join(dst, f), "w") as out:
            json.dump(obj, out, indent=2)


def run_greedy_batch(args, jobs):
    """jobs: [(model dict, prompt dict, N)] -> GenerateIds outputs, in order."""
    lines = [dict(prompt, model=m["dir"], max_new_tokens=n) for m, prompt, n in jobs]
    out, noise = run_harness(args.jar, "GenerateIds.java", lines)
    return out, [l for l in noise if not l.startswith("GenerateIds: ") or ": warning: " in l]


def hf_side(m, results, jobs):
    """transformers' paths for the jobs of model m; fills results[j] with hf32, hf64, steps64, cache_ok, tok_ids."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    model = AutoModelForCausalLM.from_pretrained(m["dir"], dtype=torch.float32, attn_implementation="eager")
    model.eval()
    eos = model.generation_config.eos_token_id
    eos_list = eos if isinstance(eos, list) else [eos]
    tok = AutoTokenizer.from_pretrained(m["dir"])
    for j, (prompt, n) in jobs:
        ours = results[j]["ours"]
        results[j]["hf_eos"] = eos_list
        if "prompt" in prompt:
            results[j]["tok_ids"] = tok(prompt["prompt"])["input_ids"]
        results[j]["hf32"] = hf_generate(model, ours["prompt_ids"], n, eos_list[0])
    model.double()
    for j, (prompt, n) in jobs:
        ids = results[j]["ours"]["prompt_ids"]
        hf64 = hf_generate(model, ids, n, eos_list[0])
        steps = float64_steps(model, ids, hf64)
        results[j]["hf64"] = hf64
        results[j]["steps64"] = steps
        results[j]["cache_ok"] = all(int(l.argmax()) == t for l, t in zip(steps, hf64)
                                     if float(l.topk(2).values[0] - l.topk(2).values[1]) >= GAP_MIN)
        if not results[j]["cache_ok"]:
            # transformers' cached generate is not its own forward: keep the model's semantics (uncached) too
            results[j]["hf64_uncached"], results[j]["steps64_uncached"] = hf_uncached_greedy(model, ids, n, eos_list)
        results[j]["hf_text"] = tok.decode(hf64, skip_special_tokens=True)


def part_greedy(args):
    print(f"\npart greedy: the teacher and {args.models} random models, seed {args.seed}", flush=True)
    t0 = time.time()
    base = os.path.join(args.out, f"greedy-seed-{args.seed}")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    models = make_models(args, base)
    t1 = time.time()
    jobs = [(m, prompt, n) for m in models for prompt, n in m["cases"]]
    outs, noise = run_greedy_batch(args, jobs)
    results = [{"model": m, "prompt": prompt, "n": n, "ours": o} for (m, prompt, n), o in zip(jobs, outs)]
    failures = 0
    for r in results:
        if "error" in r["ours"]:
            print(f"  FAIL {r['model']['name']} {r['prompt']}: GenerateIds: {r['ours']['error']}")
            failures += 1
    results = [r for r in results if "error" not in r["ours"]]
    t2 = time.time()

    def hf_all(rs):
        by_model = {}
        for j, r in enumerate(rs):
            by_model.setdefault(r["model"]["dir"], []).append(j)
        for d, js in by_model.items():
            hf_side(rs[js[0]]["model"], rs, [(j, (rs[j]["prompt"], rs[j]["n"])) for j in js])

    hf_all(results)
    # EOS variants: the token the float64 path makes at a random compared step becomes an EOS id
    variants = []
    for m in models:
        if not m.get("eos_variant"):
            continue
        r = next(r for r in results if r["model"] is m)
        steps, full, _ = compare_paths(r["ours"]["ids"], r["ours"]["stop"], r["hf64"], r["steps64"])
        if steps < 2:
            continue
        tok_eos = r["ours"]["eos"][-1]
        fresh = first_new_steps(r["hf64"][:steps], tok_eos)
        if not fresh:
            continue
        s = random.Random(f"eos:{args.seed}:{m['name']}").choice(fresh)
        x = r["hf64"][s]
        v = dict(m, name=m["name"] + "+eos", dir=m["dir"] + "-eos", tags=m["tags"] + ["eos_variant"],
                 cases=[(r["prompt"], r["n"])], eos_step=r["hf64"].index(x))
        eos_variant(m["dir"], v["dir"], [tok_eos, x])
        variants.append(v)
    # probes of the EOS rules, on the first random model's text prompt that makes a new token after step 0
    probes = []
    probe_src = next((r for r in results if r["model"]["name"].startswith("model-") and "prompt" in r["prompt"]
                      and r["cache_ok"] and first_new_steps(r["hf64"], r["hf_eos"][0])), None)
    if probe_src is not None:
        fresh = first_new_steps(probe_src["hf64"], probe_src["hf_eos"][0])
        m = probe_src["model"]
        x = probe_src["hf64"][fresh[len(fresh) // 2]]
        tok_json = json.load(open(os.path.join(m["dir"], "tokenizer.json")))
        pieces = {i: t for t, i in tok_json["model"]["vocab"].items()}
        pieces.update({t["id"]: t["content"] for t in tok_json["added_tokens"]})
        if x in pieces:
            a = dict(m, name="probe-a tokenizer EOS not in config", dir=m["dir"] + "-probe-a", tags=["probe"],
                     cases=[(probe_src["prompt"], probe_src["n"])])
            eos_variant(m["dir"], a["dir"], None, tokenizer_eos=pieces[x])
            probes.append((a, f"tokenizer_config.json eos_token = {pieces[x]!r} (id {x}, made at step "
                              f"{probe_src['hf64'].index(x)}); config.json and generation_config.json keep "
                              f"{probe_src['hf_eos']}"))
        b = dict(m, name="probe-b generation_config eos", dir=m["dir"] + "-probe-b", tags=["probe"],
                 cases=[(probe_src["prompt"], probe_src["n"])])
        eos_variant(m["dir"], b["dir"], None)
        gc_path = os.path.join(b["dir"], "generation_config.json")
        gc = json.load(open(gc_path)) if os.path.exists(gc_path) else {}
        gc["eos_token_id"] = probe_src["hf_eos"] + [x]
        json.dump(gc, open(gc_path, "w"), indent=2)
        probes.append((b, f"generation_config.json eos_token_id = {gc['eos_token_id']} (id {x}, made at step "
                          f"{probe_src['hf64'].index(x)}); config.json keeps {probe_src['hf_eos']}"))
    extra = [(m, prompt, n) for m in variants + [p[0] for p in probes] for prompt, n in m["cases"]]
    if extra:
        outs2, noise2 = run_greedy_batch(args, extra)
        noise += noise2
        extra_results = [{"model": m, "prompt": prompt, "n": n, "ours": o} for (m, prompt, n), o in zip(extra, outs2)]
        hf_all(extra_results)
    else:
        extra_results = []
    t3 = time.time()

    # compare
    total_steps, full_runs, cut_runs, worst_rows = 0, 0, 0, []
    agree32 = 0
    for r in results + extra_results:
        m, ours = r["model"], r["ours"]
        if "probe" in m["tags"]:
            continue
        problems, notes = [], []
        steps, full, p = compare_paths(ours["ids"], ours["stop"], r["hf64"], r["steps64"])
        s32, _, p32 = compare_paths(r["hf32"], "", r["hf64"], r["steps64"])
        agree32 += p32 is None
        cfg = json.load(open(os.path.join(m["dir"], "config.json")))
        positions = len(ours["prompt_ids"]) + len(ours["ids"])
        if not r["cache_ok"]:
            # transformers 5.18's DynamicCache makes sliding-window layers (it keeps the last W - 1 keys) for any
            # config with a sliding_window attribute, a llama one too, whose attention ignores the window: its
            # cached generate then differs from its own forward. Ours follows the forward; compared with that.
            llama_window = (cfg["model_type"] == "llama" and cfg.get("sliding_window") is not None
                            and cfg["sliding_window"] < positions)
            # and for a window of 1 its DynamicSlidingWindowLayer keeps full[:, :, -W + 1:] = full[:, :, 0:]: every
            # key, where the window allows only the token's own (found with seed 5)
            window_one = cfg.get("sliding_window") == 1 and cfg["model_type"] == "mistral"
            u_steps, u_full, u_p = compare_paths(ours["ids"], ours["stop"], r["hf64_uncached"], r["steps64_uncached"])
            cause = (f"llama config with sliding_window {cfg.get('sliding_window')} < {positions} positions: "
                     f"DynamicCache drops keys the llama attention would use" if llama_window
                     else "mistral sliding_window 1: DynamicSlidingWindowLayer keeps every key")
            note = (f"transformers' cached generate differs from its uncached forward ({cause}); cached path "
                    f"{r['hf64']}, ours = the uncached path for {u_steps} steps"
                    f"{'' if u_p else ' (all compared)' if u_full else ' (then a top-2 gap < 1e-4)'}")
            if not (llama_window or window_one):
                problems.append("transformers' cached float64 path is not the argmax of its uncached forward, and "
                                "not for a known cause (a llama config's sliding_window, a window of 1): "
                                + (p or ""))
            elif u_p:
                problems.append(f"ours differs from transformers' uncached path too: {u_p}")
            else:
                notes.append(note)
                r["hf_cache_inconsistent"] = True
                steps, full, p = u_steps, u_full, None
        if p:
            problems.append(p)
        if "tok_ids" in r and r["tok_ids"] != ours["prompt_ids"]:
            problems.append(f"prompt ids: AutoTokenizer {r['tok_ids']}, ours {ours['prompt_ids']}")
        if sorted(set(ours["eos"])) != sorted(set(r["hf_eos"])):
            problems.append(f"EOS ids: ours {ours['eos']}, transformers' generation_config {r['hf_eos']}")
        if "eos_step" in m and not problems and full:
            if ours["stop"] != "eos" or len(ours["ids"]) != m["eos_step"] + 1:
                problems.append(f"EOS variant: expected a stop at step {m['eos_step']}, ours {ours['stop']} after "
                                f"{len(ours['ids'])} tokens")
        total_steps += steps
        full_runs += full and not problems
        cut_runs += not full and not problems
        r.update(steps=steps, full=full, problems=problems)
        path64 = r["steps64_uncached"] if r.get("hf_cache_inconsistent") else r["steps64"]
        gaps = [float(l.topk(2).values[0] - l.topk(2).values[1]) for l in path64[:steps]] or [math.inf]
        r["min_gap"] = min(gaps)
        failures += bool(problems)
        what = (f"prompt {len(ours['prompt_ids'])} ids" + (" (text)" if "prompt" in r["prompt"] else " (random ids)"))
        window = cfg.get("sliding_window") if cfg.get("model_type") == "mistral" else None
        tags = [t for t in m["tags"] if t not in ("past_max_pos", "window_lt_seq")]
        if window is not None and window < positions:
            tags.append(f"window_{window}_lt_{positions}_positions")
        if positions > cfg["max_position_embeddings"]:
            tags.append("past_max_pos")
        r["tags"] = tags
        print(f"  {m['name']:16s} {'FAIL' if problems else 'ok  '} {what}, {len(ours['ids'])} new ({ours['stop']}); "
              f"{steps} steps compared{'' if full else ' (cut by a top-2 gap < 1e-4)' if not problems else ''}, "
              f"smallest gap {r['min_gap']:.2g}; hf float32 {'=' if p32 is None else '!='} hf float64 "
              f"{'(' + str(s32) + ' steps)' if p32 is None else ''}  {' '.join(tags)}", flush=True)
        for p in problems + notes:
            print(f"      {p}")

    # the CLI: minitron generate on the first text prompt of each model (and the EOS variants)
    cli_runs, cli_texts_hf = 0, 0
    for r in results + extra_results:
        m = r["model"]
        if "prompt" not in r["prompt"] or "probe" in m["tags"] or any(
                x is not r and x["model"] is m and "prompt" in x["prompt"] for x in (results + extra_results)
                [:(results + extra_results).index(r)]):
            continue
        rc, stdout, stderr = run_cli(args, ["generate", "--model", m["dir"], "--prompt", r["prompt"]["prompt"],
                                            "--max-new-tokens", str(r["n"]), "--temperature", "0"])
        cli_runs += 1
        problems = []
        stop_line = [l for l in stderr if l.startswith("prefill:")]
        other = [l for l in stderr if not l.startswith("prefill:") and "warning" not in l]
        if rc != 0 or not stop_line or other:
            problems.append(f"exit {rc}, stderr {stderr[-4:]}")
        else:
            if stdout[:-1] != r["ours"].get("text") or not stdout.endswith("\n"):
                problems.append(f"prints {stdout[:-1]!r}, GenerateIds' decode {r['ours'].get('text')!r}")
            stop = "eos" if stop_line[0].endswith("stop: eos") else "length"
            if stop != r["ours"]["stop"]:
                problems.append(f"stop {stop_line[0].split('stop: ')[-1]}, GenerateIds {r['ours']['stop']}")
            if r.get("full") and r["ours"]["ids"] == r["hf64"] and not r.get("problems"):
                cli_texts_hf += 1
                if stdout[:-1] != r["hf_text"]:
                    problems.append(f"prints {stdout[:-1]!r}, transformers' decode {r['hf_text']!r}")
        failures += bool(problems)
        print(f"  cli {m['name']:12s} {'FAIL' if problems else 'ok  '} minitron generate --temperature 0: "
              f"{len(r['ours']['ids'])} tokens, stop {r['ours']['stop']}", flush=True)
        for p in problems:
            print(f"      {p}")

    # probes
    for (pm, what), r in zip(probes, [x for x in extra_results if "probe" in x["model"]["tags"]]):
        print(f"  {pm['name']}: {what}: ours stops after {len(r['ours']['ids'])} tokens ({r['ours']['stop']}, EOS ids "
              f"{r['ours']['eos']}), transformers after {len(r['hf64'])} (EOS ids {r['hf_eos']})"
              + ("  [same]" if r["ours"]["ids"] == r["hf64"] else "  [differs]"))
    for l in sorted(set(noise)):
        print(f"  GenerateIds stderr: {l[:200]}")
    compared = [r for r in results + extra_results if "steps" in r]
    per = {}
    for r in compared:
        for tag in r["tags"]:
            tag = "window_lt_positions" if tag.startswith("window_") and "_lt_" in tag else tag
            e = per.setdefault(tag, [0, 0, 0])
            e[0] += 1
            e[1] += r["steps"]
            e[2] += bool(r["problems"])
    print("  per feature (generations, steps compared, failures): "
          + ", ".join(f"{t} {n}/{st}/{f}" for t, (n, st, f) in sorted(per.items())))
    print(f"part greedy: {len(compared)} generations on {len(models)} models + {len(variants)} EOS variants "
          f"({sum(r['n'] for r in compared)} steps asked, {total_steps} compared); {full_runs} compared to the end, "
          f"{cut_runs} cut at a float64 top-2 gap < {GAP_MIN}; smallest gap among compared steps "
          f"{min(r['min_gap'] for r in compared):.2g}; {sum(1 for r in compared if r.get('hf_cache_inconsistent'))} "
          f"where transformers' cached path is not its forward's (compared with the forward's); "
          f"transformers' float32 path = its float64 path in "
          f"{agree32} of {len(compared)}; CLI: {cli_runs} runs, {cli_texts_hf} texts compared with transformers' "
          f"decode; {failures} failures; models {t1 - t0:.0f} s, ours {t2 - t1:.0f} s, transformers and variants "
          f"{t3 - t2:.0f} s")
    if failures == 0 and not args.keep_all:
        shutil.rmtree(base)
    else:
        print(f"  model folders kept under {base}")
    return failures


# ---------------------------------------------------------------- main

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("all", "filters", "greedy"), default="all")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random rows and models (default 0)")
    ap.add_argument("--rows", type=int, default=1500, help="rows of logits of part filters (default 1500)")
    ap.add_argument("--models", type=int, default=16, help="random tiny models of part greedy (default 16)")
    ap.add_argument("--jar", default=os.path.join(ROOT, "cli", "target", "minitron.jar"))
    ap.add_argument("--jar-cmd", default="./minitron", help="command that runs the CLI, from the repository root")
    ap.add_argument("--out", default="/tmp/fuzz-hf-generate", help="scratch directory (default /tmp/fuzz-hf-generate)")
    ap.add_argument("--keep-all", action="store_true", help="keep every model folder, not just failing ones")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    transformers.logging.disable_progress_bar()
    start = time.time()
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    failures = 0
    if args.part in ("all", "filters"):
        failures += part_filters(args)
    if args.part in ("all", "greedy"):
        failures += part_greedy(args)
    print(f"\n{failures} failures in {time.time() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
