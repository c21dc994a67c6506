"""Differential check of the jar against the real Hugging Face `transformers` (not our re-implementation of it).

reference/golden_llama.py and fuzz_llama.py compare the jar with golden_llama's plain-torch copy of HF's forward.
This script puts the real classes in its place, in both directions:

Part 1, transformers writes and we read (`--part jar`). Each case draws a random tiny configuration with
fuzz_llama.draw_case (the same generator, the same edge cases) and the weights with fuzz_llama.make_weights, then
  - builds the config with transformers' own config class from that dict, LlamaForCausalLM / MistralForCausalLM
    from it with attn_implementation="eager", loads the weights (load_state_dict, every key), casts to bfloat16 for
    a BF16 case and writes it with save_pretrained (safetensors; max_shard_size cut so that the case gets its
    number of shards);
  - loads that folder back with AutoModelForCausalLM.from_pretrained(dtype=float32, eager, output_loading_info)
    (no missing, unexpected or mismatched key, no load warning) and computes the logits of the ids in float32 and
    in float64 (model.double());
  - runs `./minitron logits --model DIR --ids "..." --json` twice: on the folder as transformers wrote it (its
    config.json in transformers' current spelling: rope_parameters, dtype, every default written out) and on the
    same weights with the drawn config.json (the older spellings: rope_scaling with `type` or `rope_type`,
    torch_dtype, absent fields that take HF's defaults);
  - compares each with fuzz_llama.compare: every logit of the last position within 1e-4 + 1e-4 |ref| of the float64
    logits, argmax wherever the float64 top-2 gap exceeds 1e-3, the past-max_position_embeddings warning exactly
    when due, nothing else on stderr;
  - and checks golden_llama.forward (our torch oracle, float64, on the drawn config as fuzz_llama normalizes it)
    against the same float64 logits, with the same tolerance, over every position: a disagreement there means the
    oracle the Java golden tests rest on is wrong.
It prints, per case, the jar's largest difference, transformers' own float32 error (float32 vs float64 logits) and
the oracle's difference. HF's "float64" is not all float64: LlamaRMSNorm casts its input to float32 and eager
attention takes its softmax in float32, so float64 logits carry ~1e-7 relative error, far below the tolerance.

What the draws cannot test against transformers 5.18 (the version this was run with):
  - LlamaConfig refuses hidden_size % num_attention_heads != 0 even with an explicit head_dim (its
    validate_architecture); MistralConfig accepts it. Such llama draws get hidden_size rounded to a multiple of the
    heads (tag hidden_rounded_for_hf); the edge case `llama_hidden_not_multiple_of_heads` checks that
    transformers refuses it (the jar accepts it and computes what MistralForCausalLM computes for the same shapes).
  - MistralConfig reads an absent num_key_value_heads as 8 (Mistral 7B's value), not num_attention_heads, so
    fuzz_llama.draw_case leaves the field out of a mistral config only where the two agree (8 heads); its edge
    case `mistral_16_heads_kv_heads_absent` tests the default (GQA 16 on 8). This is what this script found first:
    the jar read the absent field as 16 and refused the checkpoint (fuzz_llama's oracle assumed 16 as well).
Sliding windows: transformers 5.18 applies them in eager attention (masking_utils.create_sliding_window_causal_mask,
and_masks(causal, sliding_window_overlay(W))), so mistral windows shorter than the sequence are compared like any
other case (per-case `effect[window]` shows how much the window moves the logits).

Part 2, we write and transformers reads (`--part ours`). From a copy of the bundled teacher
(transformer/src/main/resources/minitron/teacher/) the jar writes: a width-pruned model (`minitron prune
--baseline random --hidden-size 96 --intermediate-size 256 --num-attention-heads 4`), a depth-pruned one (`--depth 1
--data brown:heldout --samples 8 --seq-len 64`) and a short training run (`minitron train`, 4 steps; its BF16
`final` folder and its F32 step checkpoint's `model` folder). Each folder (and the teacher itself) must load with
AutoModelForCausalLM.from_pretrained(dtype=float32) with no missing, unexpected or mismatched key and no load
warning, and its float64 logits on a few id sequences must match `minitron logits` as above. The tokenizer files
of each folder that has them must load with AutoTokenizer (transformers' PreTrainedTokenizerFast) and encode a few
strings to the ids `minitron tokenize --json` gives, without and with BOS (`add_special_tokens` False / True,
`--bos`).

Set up (once; nothing here is used by the Maven build or CI; no transformers release on this machine's PyPI mirror
runs on the system's torch 1.13, so the environment gets its own torch):
    /usr/bin/python3 -m venv --system-site-packages /tmp/hfenv
    /tmp/hfenv/bin/pip install --no-index transformers==5.18.0 torch==2.13.0+cpu tokenizers==0.23.2 safetensors==0.8.0
(`--no-index` keeps pip on the configured local mirror and wheel folder; without it pip also retries an
unreachable index for minutes.)

Usage (from the repository root; JAVA_HOME must point to a JDK 25, the jar must be built):
    /tmp/hfenv/bin/python reference/fuzz_hf_transformers.py [--part all|jar|ours] [--cases 40] [--seed 0]
        [--jar-cmd ./minitron] [--out /tmp/fuzz-hf] [--keep-all] [--no-edge] [--only 7]
Exits 1 on any failure; failing cases keep their folders under OUT (repro.json beside the weights).
"""

import argparse
import copy
import hashlib
import json
import logging
import math
import os
import random
import shlex
import shutil
import subprocess
import sys
import time
import warnings

os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "warning")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fuzz_llama as fl  # noqa: E402
import golden_llama as gl  # noqa: E402

import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, CONFIG_MAPPING, PreTrainedTokenizerFast  # noqa: E402

ROOT = fl.ROOT
TEACHER = os.path.join(ROOT, "transformer", "src", "main", "resources", "minitron", "teacher")
# A load warning with any of these words means a weight was not read as it should be.
BAD_LOAD_WORDS = ("missing", "unexpected", "mismatch", "newly initialized", "not initialized", "not used")


# ---------------------------------------------------------------- capturing transformers' warnings

class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def quietly(fn, *args, **kwargs):
    """-> (result, [warning lines]): transformers' logger at WARNING and above, and Python warnings."""
    handler = Captured()
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = fn(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
    return result, handler.lines + [str(w.message) for w in caught]


NOTED = {}   # warning text -> count: transformers' other warnings (config validation), reported at the end


def note_warnings(lines):
    for line in lines:
        if not any(w in line.lower() for w in BAD_LOAD_WORDS):
            key = line.strip().split(", got")[0][:160]
            NOTED[key] = NOTED.get(key, 0) + 1


def load_hf(directory):
    """from_pretrained in float32, eager attention; -> (model, problems)."""
    (model, info), lines = quietly(AutoModelForCausalLM.from_pretrained, directory, dtype=torch.float32,
                                   attn_implementation="eager", output_loading_info=True)
    note_warnings(lines)
    problems = [f"from_pretrained: {k} {sorted(v)}" for k, v in info.items() if v]
    problems += [f"from_pretrained warned: {l.strip()[:300]}" for l in lines
                 if any(w in l.lower() for w in BAD_LOAD_WORDS)]
    model.eval()
    return model, problems


def hf_logits(model, ids):
    """(T, V) logits in float32 and float64 (model.double(), which the model is left in)."""
    x = torch.tensor([ids], dtype=torch.int64)
    with torch.no_grad():
        l32 = model(input_ids=x, use_cache=False).logits[0].double()
        l64 = model.double()(input_ids=x, use_cache=False).logits[0]
    return l32, l64


# ---------------------------------------------------------------- part 1: transformers writes, the jar reads

def hf_case(case):
    """fuzz_llama's draw, adjusted where transformers 5.18 refuses a configuration the jar accepts: a llama
    hidden_size not a multiple of num_attention_heads (head_dim explicit) is rounded up to one."""
    cfg, ref = case["config"], case["ref"]
    heads = cfg["num_attention_heads"]
    if cfg["model_type"] == "llama" and cfg["hidden_size"] % heads:
        hidden = (cfg["hidden_size"] // heads + 1) * heads
        cfg["hidden_size"] = ref["hidden_size"] = hidden
        case["head_scale"] = 2.0 ** round(math.log2(math.sqrt(12 / hidden)))
        case["tags"] = [t for t in case["tags"] if t != "odd_hidden"] + ["hidden_rounded_for_hf"]
        if hidden % 2:
            case["tags"].append("odd_hidden")
    return case


def build_and_save(case, params, directory):
    """transformers' model of the drawn config with these weights, written by save_pretrained; -> problems."""
    cfg = copy.deepcopy(case["config"])
    config, lines = quietly(CONFIG_MAPPING[cfg["model_type"]].from_dict, cfg)
    note_warnings(lines)
    model, lines = quietly(AutoModelForCausalLM.from_config, config, attn_implementation="eager", dtype=torch.float32)
    note_warnings(lines)
    state = dict(params)
    if case["ref"]["tie_word_embeddings"]:
        state["lm_head.weight"] = state["model.embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    problems = []
    if missing or unexpected:
        problems.append(f"load_state_dict: missing {missing}, unexpected {unexpected}")
    tied = model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    if tied != case["ref"]["tie_word_embeddings"]:
        problems.append(f"transformers ties lm_head: {tied}, config says {case['ref']['tie_word_embeddings']}")
    if case["store"] == "BF16":
        model = model.to(torch.bfloat16)
    max_shard = "50GB"
    if case["shards"] > 1:
        total = sum(p.numel() * p.element_size() for p in model.state_dict().values())
        max_shard = max(1, -(-total // case["shards"]))
    _, lines = quietly(model.save_pretrained, directory, max_shard_size=max_shard)
    note_warnings(lines)
    problems += [f"save_pretrained warned: {l.strip()[:300]}" for l in lines
                 if any(w in l.lower() for w in BAD_LOAD_WORDS)]
    return problems


def written_shards(directory):
    return len([f for f in os.listdir(directory) if f.endswith(".safetensors")])


def drawn_config_folder(case, hf_dir, directory):
    """The weights transformers wrote, linked, beside the drawn config.json."""
    os.makedirs(directory, exist_ok=True)
    for f in os.listdir(hf_dir):
        if f.endswith(".safetensors") or f == "model.safetensors.index.json":
            os.symlink(os.path.join(hf_dir, f), os.path.join(directory, f))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(case["config"], f, indent=2)
        f.write("\n")


def oracle_logits(case, params):
    """golden_llama.forward (float64 after the float32 rotary tables) on the normalized drawn config."""
    ref = case["ref"]
    ids = torch.tensor([case["ids"]], dtype=torch.int64)
    cos, sin = gl.rope_tables(gl.inv_freq_hf(ref), ids.shape[1])
    with torch.no_grad():
        return gl.forward(ref, {n: w.double() for n, w in params.items()}, ids, cos, sin)[0]


def run_case(name, case, args, base):
    directory = os.path.join(base, name)
    shutil.rmtree(directory, ignore_errors=True)
    hf_dir, drawn_dir = os.path.join(directory, "hf"), os.path.join(directory, "drawn")
    params = fl.make_weights(case)
    problems = build_and_save(case, params, hf_dir)
    if written_shards(hf_dir) != case["shards"]:
        case["tags"].append(f"hf_wrote_{written_shards(hf_dir)}_shards")
    model, load_problems = load_hf(hf_dir)
    problems += load_problems
    l32, l64 = hf_logits(model, case["ids"])
    result = {"hf32": (l32 - l64).abs().max().item()}
    # transformers' default attention on torch 2.x is sdpa; it must agree with eager (the reference). In float64
    # they differ by eager's float32 softmax (~1e-6), so the bar is the jar's.
    model.set_attn_implementation("sdpa")
    with torch.no_grad():
        sdpa = model(input_ids=torch.tensor([case["ids"]]), use_cache=False).logits[0]
    d = (sdpa - l64).abs()
    result["sdpa"] = d.max().item()
    if ((d > fl.ATOL + fl.RTOL * l64.abs()) | d.isnan()).any():
        problems.append(f"transformers' sdpa attention differs from eager by {result['sdpa']:.3g} in float64")
    oracle = oracle_logits(case, params)
    d = (oracle - l64).abs()
    result["oracle"] = d.max().item()
    if ((d > fl.ATOL + fl.RTOL * l64.abs()) | d.isnan()).any():
        problems.append(f"golden_llama.forward differs from transformers by {result['oracle']:.3g} "
                        f"(the oracle is wrong)")
    case["effects"] = fl.feature_effects(case, params, oracle)
    drawn_config_folder(case, hf_dir, drawn_dir)
    outputs = {}
    for label, folder in (("hf_config", hf_dir), ("drawn_config", drawn_dir)):
        cmd, rc, stdout, stderr = fl.run_java(args.jar_cmd, folder, case["ids"])
        max_diff, p = fl.compare(case, l64, rc, stdout, stderr)
        result[label] = max_diff
        problems += [f"{label}: {x}" for x in p]
        outputs[label] = {"command": " ".join(cmd), "exit_code": rc, "stderr": stderr, "stdout": stdout[:100000]}
        if max_diff is not None and rc == 0:
            java = torch.tensor([float("nan") if x is None else x for x in json.loads(stdout)["last"]],
                                dtype=torch.float64)
            result[label + "_vs_hf32"] = (java - l32[-1]).abs().max().item()
    if problems or args.keep_all:
        with open(os.path.join(directory, "repro.json"), "w") as f:
            json.dump({"ids": case["ids"], "tags": case["tags"], "reference_config": case["ref"],
                       "drawn_config": case["config"], "store": case["store"], "shards": case["shards"],
                       "problems": problems, "results": result, "java": outputs,
                       "hf_float64_last": l64[-1].tolist()}, f, indent=1)
            f.write("\n")
    else:
        shutil.rmtree(directory)
    return result, problems


def llama_hidden_refusal():
    """transformers refuses a llama config whose hidden_size is not a multiple of num_attention_heads, even with an
    explicit head_dim; -> (problems, note)."""
    cfg = {"model_type": "llama", "hidden_size": 10, "intermediate_size": 8, "num_hidden_layers": 1,
           "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 4, "vocab_size": 50}
    try:
        CONFIG_MAPPING["llama"].from_dict(dict(cfg))
    except Exception as e:  # noqa: BLE001: transformers raises its own validation error class
        return [], f"transformers refuses it: {type(e).__name__}: {str(e).splitlines()[-1].strip()[:120]}"
    return ["transformers accepted a llama config of hidden_size 10 and 4 heads: hf_case and the module docstring "
            "assume it refuses one"], ""


def part_jar(args, base):
    plan = []
    for i in range(args.cases):
        case = hf_case(fl.draw_case(random.Random(f"{args.seed}:{i}")))
        if args.only is None or i in args.only:
            plan.append((f"case-{i:03d}", case))
    if not args.no_edge and args.only is None:
        plan += [("edge-" + n, hf_case(c)) for n, c in fl.edge_cases(args.seed)]
    results = []
    for name, case in plan:
        try:
            result, problems = run_case(name, case, args, base)
        except Exception as e:  # noqa: BLE001: a crash in transformers or the jar is a failed case, not a stop
            result, problems = {}, [f"{type(e).__name__}: {e}"]
        results.append((name, case, result, problems))
        md = (lambda k: "  n/a   " if result.get(k) is None else f"{result[k]:.2e}")
        eff = "".join(f" effect[{k}]={v:.2g}" for k, v in case.get("effects", {}).items())
        print(f"{name:44s} {'FAIL' if problems else 'ok  '} jar {md('hf_config')} / drawn cfg "
              f"{md('drawn_config')}; hf f32 {md('hf32')}; sdpa {md('sdpa')}; oracle {md('oracle')}  "
              f"{fl.summary(case)}{eff}", flush=True)
        for p in problems:
            print(f"    {p}", flush=True)
    refusal_problems = []
    if not args.no_edge and args.only is None:
        refusal_problems, note = llama_hidden_refusal()
        print(f"{'edge-llama_hidden_not_multiple_of_heads':44s} {'FAIL' if refusal_problems else 'ok  '} {note}")
        for p in refusal_problems:
            print(f"    {p}")

    failed = [r for r in results if r[3]]
    print()
    worst = {k: max((r[2][k] for r in results if r[2].get(k) is not None), default=float("nan"))
             for k in ("hf_config", "drawn_config", "hf32", "sdpa", "oracle", "hf_config_vs_hf32",
                       "drawn_config_vs_hf32")}
    print(f"part jar: {len(results)} cases ({len([r for r in results if r[0].startswith('case-')])} random, seed "
          f"{args.seed}), transformers {transformers.__version__}, torch {torch.__version__}: {len(failed)} failed")
    print(f"  max |jar - hf float64| on the last position: {worst['hf_config']:.3e} (transformers' config.json), "
          f"{worst['drawn_config']:.3e} (drawn config.json)")
    print(f"  max |jar - hf float32|: {max(worst['hf_config_vs_hf32'], worst['drawn_config_vs_hf32']):.3e}; "
          f"max |hf float32 - hf float64| (every position): {worst['hf32']:.3e}")
    print(f"  max |golden_llama.forward - hf float64| (every position): {worst['oracle']:.3e}; "
          f"max |hf sdpa - hf eager| in float64: {worst['sdpa']:.3e}")
    positions = sum(len(r[1]["ids"]) for r in results)
    checked = sum(r[1].get("argmax_checked", 0) for r in results)
    print(f"  argmax compared at {checked} of {positions} positions (the others: top-2 gap <= {fl.ARGMAX_GAP})")
    per = {}
    for name, case, result, problems in results:
        for tag in case["tags"]:
            e = per.setdefault(tag, [0, 0.0, 0])
            e[0] += 1
            e[1] = max(e[1], max((result.get(k) or 0.0) for k in ("hf_config", "drawn_config")) if result else math.inf)
            e[2] += bool(problems)
    print("  per feature: cases, max |jar - hf float64|, failures")
    for tag in sorted(per):
        n, md, nf = per[tag]
        print(f"    {tag:34s} {n:3d}  {md:.2e}  {nf}")
    for line in fl.effects_summary([case for _, case, _, _ in results]):
        print("  " + line)
    if failed:
        print(f"  failing cases kept under {base}: " + ", ".join(r[0] for r in failed))
    return len(failed) + len(refusal_problems)


# ---------------------------------------------------------------- part 2: the jar writes, transformers reads

TOKENIZE_TEXTS = ["The jury said it did find that many of Atlanta's 1,961 voters... ",
                  "  two  spaces\tand a tab\nnew line\n\n", "Ünïcödé — “quotes” 😀 日本語 naïve café",
                  "<|begin_of_text|>special in text<|end_of_text|>", "I'll we're they've DON'T 12345678 3.14159",
                  "   leading spaces\r\nCRLF, trailing   ", "<|reserved_special_token_3|><|begin_of_text|>x", ""]


def run_cli(args_list, cwd=ROOT, timeout=600):
    env = dict(os.environ)
    env.setdefault("JAVA_HOME", fl.DEFAULT_JAVA_HOME)
    p = subprocess.run(shlex.split(ARGS.jar_cmd) + args_list, cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    stderr = [l for l in p.stderr.splitlines() if l.strip() and not l.startswith(fl.JVM_NOISE)]
    return p.returncode, p.stdout, stderr


def make_ours(base):
    """The folders the jar writes from the bundled teacher; -> ([(label, dir)], problems)."""
    teacher = os.path.join(base, "teacher")
    os.makedirs(teacher)
    for f in os.listdir(TEACHER):
        shutil.copy(os.path.join(TEACHER, f), teacher)
    runs = [
        ("prune_width", ["prune", "--model", teacher, "--baseline", "random", "--hidden-size", "96",
                         "--intermediate-size", "256", "--num-attention-heads", "4", "--out",
                         os.path.join(base, "prune_width")], os.path.join(base, "prune_width")),
        ("prune_depth", ["prune", "--model", teacher, "--depth", "1", "--data", "brown:heldout", "--samples", "8",
                         "--seq-len", "64", "--out", os.path.join(base, "prune_depth")],
         os.path.join(base, "prune_depth")),
        ("train_final", ["train", "--model", teacher, "--tokenizer", teacher, "--data", "brown:heldout",
                         "--steps", "4", "--batch", "4", "--seq", "64", "--warmup", "1", "--lr", "3e-3",
                         "--eval-every", "0", "--eval-batches", "1", "--save-every", "0",
                         "--out", os.path.join(base, "train")], os.path.join(base, "train", "final")),
    ]
    runs.append(("tokenizer_trained", ["tokenizer", "train", "--data", "brown:heldout", "--vocab-size", "600",
                                       "--out", os.path.join(base, "tokenizer_trained")],
                 os.path.join(base, "tokenizer_trained")))
    folders, problems = [("teacher", teacher)], []
    for label, cmd, out in runs:
        t0 = time.time()
        rc, stdout, stderr = run_cli(cmd)
        print(f"  minitron {' '.join(cmd[:2] if cmd[0] == 'tokenizer' else cmd[:1])} -> {label}: exit {rc} in "
              f"{time.time() - t0:.0f} s", flush=True)
        if rc != 0:
            problems.append(f"{label}: minitron {' '.join(cmd)} exit {rc}: {stderr[-5:]}")
            continue
        folders.append((label, out))
        if label == "train_final":
            latest = open(os.path.join(base, "train", "checkpoints", "latest")).read().strip()
            folders.append(("train_checkpoint_f32", os.path.join(base, "train", "checkpoints", latest, "model")))
    return folders, problems


def check_folder(label, directory, seed):
    """from_pretrained with no warnings, float64 logits vs the jar on a few id sequences; -> (max diff, problems)."""
    model, problems = load_hf(directory)
    cfg = model.config
    rng = random.Random(f"ours:{seed}:{label}")
    seqs = [[cfg.bos_token_id] + [rng.randrange(cfg.vocab_size) for _ in range(n)] for n in (0, 7, 40)]
    seqs.append([rng.randrange(cfg.vocab_size) for _ in range(63)])
    worst = 0.0
    for ids in seqs:
        model.float()
        _, l64 = hf_logits(model, ids)
        case = {"ids": ids, "ref": {"vocab_size": cfg.vocab_size,
                                    "max_position_embeddings": cfg.max_position_embeddings}}
        cmd, rc, stdout, stderr = fl.run_java(ARGS.jar_cmd, directory, ids)
        max_diff, p = fl.compare(case, l64, rc, stdout, stderr)
        problems += [f"ids of length {len(ids)}: {x}" for x in p]
        if max_diff is not None:
            worst = max(worst, max_diff)
    return worst, problems, type(model).__name__


def tokenizer_files_hash(directory):
    h = hashlib.sha256()
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        p = os.path.join(directory, f)
        h.update(f.encode() + b"\0" + (open(p, "rb").read() if os.path.exists(p) else b"(none)") + b"\0")
    return h.hexdigest()[:12]


def check_tokenizer(label, directory):
    """AutoTokenizer vs minitron tokenize on TOKENIZE_TEXTS, without and with BOS; -> (compared, problems)."""
    (tok, lines) = quietly(AutoTokenizer.from_pretrained, directory)
    problems = [f"AutoTokenizer warned: {l.strip()[:200]}" for l in lines]
    if not isinstance(tok, PreTrainedTokenizerFast):   # transformers 5: TokenizersBackend, the same class
        problems.append(f"AutoTokenizer gave a {type(tok).__name__}, not a PreTrainedTokenizerFast")
    compared = 0
    for text in TOKENIZE_TEXTS:
        for bos in (False, True):
            want = tok(text, add_special_tokens=bos)["input_ids"]
            rc, stdout, stderr = run_cli(["tokenize", "--tokenizer", directory, "--text", text, "--json"]
                                         + (["--bos"] if bos else []))
            got = json.loads(stdout)["ids"] if rc == 0 else None
            compared += 1
            if got != want:
                problems.append(f"{text!r} bos={bos}: transformers {want} minitron {got} (exit {rc}, {stderr})")
    return compared, type(tok).__name__, problems


def part_ours(args, base):
    failures = 0
    t0 = time.time()
    folders, problems = make_ours(base)
    for p in problems:
        print(f"  FAIL {p}")
    failures += len(problems)
    worst = 0.0
    for label, directory in folders:
        if not os.path.exists(os.path.join(directory, "config.json")):
            continue   # a tokenizer alone
        try:
            md, p, cls = check_folder(label, directory, args.seed)
        except Exception as e:  # noqa: BLE001
            md, p, cls = None, [f"{type(e).__name__}: {e}"], "?"
        worst = max(worst, md or 0.0)
        cfg = json.load(open(os.path.join(directory, "config.json")))
        shape = (f"d{cfg['hidden_size']} f{cfg['intermediate_size']} L{cfg['num_hidden_layers']} "
                 f"H{cfg['num_attention_heads']}/G{cfg['num_key_value_heads']} hd{cfg.get('head_dim')} "
                 f"{cfg.get('torch_dtype', cfg.get('dtype'))}")
        print(f"{label:22s} {'FAIL' if p else 'ok  '} {cls}, no missing/unexpected keys; max |jar - hf float64| "
              f"{'n/a' if md is None else f'{md:.2e}'} over 4 id sequences  ({shape})", flush=True)
        for x in p:
            print(f"    {x}")
        failures += bool(p)
    seen = {}
    compared_all = 0
    for label, directory in folders:
        if not os.path.exists(os.path.join(directory, "tokenizer.json")):
            print(f"{label:22s} (no tokenizer files)")
            continue
        h = tokenizer_files_hash(directory)
        if h in seen:
            print(f"{label:22s} tokenizer files identical to {seen[h]}'s")
            continue
        seen[h] = label
        compared, cls, p = check_tokenizer(label, directory)
        compared_all += compared
        print(f"{label:22s} {'FAIL' if p else 'ok  '} tokenizer: AutoTokenizer's {cls} (a PreTrainedTokenizerFast) "
              f"equals minitron tokenize on {compared} encodings ({len(TOKENIZE_TEXTS)} strings, without and with "
              f"BOS)", flush=True)
        for x in p:
            print(f"    {x}")
        failures += bool(p)
    models = [f for f in folders if os.path.exists(os.path.join(f[1], "config.json"))]
    print(f"\npart ours: {len(models)} model folders loaded, {compared_all} tokenizer encodings compared, "
          f"max |jar - hf float64| {worst:.3e}, {failures} failures, {time.time() - t0:.0f} s")
    return failures


# ---------------------------------------------------------------- main

ARGS = None


def main(argv):
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("all", "jar", "ours"), default="all",
                    help="jar: transformers writes, the jar reads; ours: the jar writes, transformers reads")
    ap.add_argument("--cases", type=int, default=40, help="random cases of part jar (default 40)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    ap.add_argument("--jar-cmd", default="./minitron", help="command that runs the CLI, run from the repository root")
    ap.add_argument("--out", default="/tmp/fuzz-hf", help="scratch directory (default /tmp/fuzz-hf)")
    ap.add_argument("--keep-all", action="store_true", help="keep every case's folder, not just failures")
    ap.add_argument("--no-edge", action="store_true", help="skip the fixed edge cases")
    ap.add_argument("--only", type=int, action="append", help="run only this random case index (repeatable)")
    ARGS = args = ap.parse_args(argv)
    torch.set_num_threads(1)
    transformers.logging.disable_progress_bar()
    transformers.logging.disable_default_handler()   # its warnings are collected by quietly() and summed up
    start = time.time()
    failures = 0
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, attention eager")
    if args.part in ("all", "jar"):
        base = os.path.join(args.out, f"seed-{args.seed}")
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(base)
        failed = part_jar(args, base)
        failures += failed
        if not failed and not args.keep_all:
            shutil.rmtree(base)   # every case passed and was deleted
    if args.part in ("all", "ours"):
        base = os.path.join(args.out, "ours")
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(base)
        failures += part_ours(args, base)
        if not failures and not args.keep_all:
            shutil.rmtree(base)
    for text, n in sorted(NOTED.items()):
        print(f"transformers warned (not a failure), {n} times: {text}")
    print(f"\n{failures} failures in {time.time() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
