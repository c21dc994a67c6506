"""`minitron eval` against the real lm-evaluation-harness 0.4.13 (`lm_eval.simple_evaluate`, model "hf").

A check, not a golden file. Both sides score the same local JSONL files with the same model (the bundled teacher
by default, loaded by transformers as LlamaForCausalLM in float32) at 0 shots:

  - lm-eval: copies of its own task YAMLs (winogrande, hellaswag, arc_easy, piqa, read from the installed
    lm_eval/tasks/ with their utils.py / preprocess_winogrande.py) with `task:` renamed `<name>_local`,
    `dataset_path: json` and `dataset_kwargs: {data_files: {validation: FILE}}`; a wikitext-style
    `loglikelihood_rolling` task `ppl_local` on a JSONL of {"text"} documents (doc_to_target the text itself,
    process_results wikitext's word/byte counts of that text). Written to WORK/tasks, passed through
    TaskManager(include_path=...). batch_size 1, device cpu, log_samples=True.
  - ours: reference/EvalItems.java (the items and per-item log-likelihoods of `minitron eval`) and
    `./minitron eval --json` (the metrics, and ppl).

Files: the sample files of eval/src/test/resources/minitron/eval/ (2-3 items each), hand-written edge items
(EDGE, and per task one item of about 1,400 tokens: left truncation; also a long gsm8k question), and, so that acc means
something, --items items per task made from the bundled brown-cloze task (eval/src/main/resources/...): ARC
{"question": context, "choices": {"text", "label"}, "answerKey"}, HellaSwag {"activity_label": "Brown",
"ctx_a": context, "ctx_b": "", "endings"}, PIQA (the gold word and the next choice as sol1/sol2, the gold placed
by item parity) and Winogrande (sentence = context + " _ " + the next item's context, options gold and a
distractor), MMLU (subject abstract_algebra; also at 5 shots: lm-eval's first_n sampler from a dev file of the
first 5 brown-cloze items, also the first 5 test rows, against ours `mmlu:TEST@DEV --shots 5`); ppl: the 12 documents of the bundled brown:heldout split (rolling windows of 512 tokens).

Compared: each item's (context, continuation) strings (lm-eval's logged `arguments` against ours), each
choice's log-likelihood (|ours - lm-eval| <= 1e-3 + 1e-4 |ll|; the model is the same, float32 on both sides),
and acc / acc_norm per task (must be equal where no item's choices are within 1e-3 of each other);
ppl: word_perplexity, byte_perplexity, bits_per_byte within 1e-4 relative.

BOS: lm-eval 0.4.13's HFLM has `add_bos_token=None` by default, which means "the tokenizer's default": a Llama 3
tokenizer (the teacher's) then prepends BOS to every context. `minitron eval` prepends none unless --add-bos.
The script runs lm-eval twice, with model_args `add_bos_token=False` (compared with ours without --add-bos) and
with lm-eval's default (compared with ours with --add-bos).

Set-up (a separate virtual environment; /tmp/hfenv, the one of fuzz_hf_*.py, is left as it is):

    cp -a /tmp/hfenv /tmp/lmeenv
    M="--index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple"
    /tmp/lmeenv/bin/python -m pip install $M --no-deps lm_eval==0.4.13
    /tmp/lmeenv/bin/python -m pip install $M datasets sacrebleu scikit-learn dill more-itertools jinja2 accelerate peft

(lm_eval's other requirements, evaluate, pytablewriter, rouge-score, sqlitedict and word2number, are not on the
mirror and are not imported on this path. numpy becomes 2.4.6; torch 2.13 still imports.)

Usage, from the repository root after `./mvnw -B -ntp -q -DskipTests package`:

    HF_DATASETS_OFFLINE=1 /tmp/lmeenv/bin/python reference/check_lm_eval.py [--items 200] [--work /tmp/lme]

Exit status 1 on any failure; a summary table at the end.
"""
import argparse
import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "eval/src/test/resources/minitron/eval"
JAVA = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64") + "/bin/java"
MC_TASKS = ["winogrande", "hellaswag", "arc_easy", "piqa"]
YAMLS = {"winogrande": ("winogrande", "default.yaml", ["preprocess_winogrande.py"]),
         "hellaswag": ("hellaswag", "hellaswag.yaml", ["utils.py"]),
         "arc_easy": ("arc", "arc_easy.yaml", []),
         "piqa": ("piqa", "piqa.yaml", []),
         "mmlu": ("mmlu/default", "_default_template_yaml", []),
         "gsm8k": ("gsm8k", "gsm8k.yaml", [])}
SAMPLE_FILE = {"winogrande": "winogrande.jsonl", "hellaswag": "hellaswag.jsonl", "arc_easy": "arc.jsonl",
               "piqa": "piqa.jsonl"}
DROP = ("task:", "dataset_path:", "dataset_name:", "training_split:", "validation_split:", "test_split:",
        "fewshot_split:", "dataset_kwargs:", "fewshot_config:", "  sampler:", "num_fewshot:")
MMLU_SUBJECTS = ["abstract_algebra", "high_school_geography"]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def brown_files(data, n):
    """The brown-cloze items as ARC, HellaSwag, PIQA and Winogrande rows; the heldout split as ppl documents."""
    items = [json.loads(l) for l in open(ROOT / "eval/src/main/resources/minitron/eval/brown-cloze.jsonl")][:n + 1]
    arc, hs, piqa, wg, mmlu = [], [], [], [], []
    for i, it in enumerate(items[:n]):
        ch, g = it["choices"], it["gold"]
        labels = ["A", "B", "C", "D"][:len(ch)]
        arc.append({"id": it["id"], "question": it["context"], "choices": {"text": ch, "label": labels},
                    "answerKey": labels[g]})
        hs.append({"activity_label": "Brown", "ctx_a": it["context"], "ctx_b": "", "endings": ch,
                   "label": str(g)})
        mmlu.append({"question": it["context"], "subject": "abstract_algebra", "choices": ch, "answer": g})
        other = ch[(g + 1) % len(ch)]
        pair = [ch[g], other] if i % 2 == 0 else [other, ch[g]]
        piqa.append({"goal": it["context"], "sol1": pair[0], "sol2": pair[1], "label": i % 2})
        wg.append({"sentence": it["context"] + " _ " + items[i + 1]["context"], "option1": pair[0],
                   "option2": pair[1], "answer": str(1 + i % 2)})
    files = {}
    for name, rows in (("arc_easy", arc), ("hellaswag", hs), ("piqa", piqa), ("winogrande", wg), ("mmlu", mmlu)):
        files[name] = data / f"{name}_brown.jsonl"
        write_jsonl(files[name], rows)
    docs = [json.loads(l) for l in gzip.open(ROOT / "transformer/src/main/resources/minitron/data/brown/"
                                             "brown-heldout.jsonl.gz", "rt", encoding="utf-8")]
    ppl = data / "ppl_heldout.jsonl"
    write_jsonl(ppl, [{"text": d["text"]} for d in docs])
    return files, ppl


EDGE = {   # hand-written items that exercise the string handling: Unicode, white space, capitalize, two blanks
    "winogrande": [
        {"sentence": "Zoë met Chloé at the café so _ paid for the crème brûlée 😀.", "option1": "Zoë ",
         "option2": "Chloé", "answer": "1"},
        {"sentence": "The dog chased the cat because _ was hungry; _ ran away.", "option1": "the dog",
         "option2": "the cat", "answer": "1"},
        {"sentence": "Ann  told Beth that _   would win.  ", "option1": "Ann", "option2": "Beth", "answer": "2"},
        {"sentence": "东京 is bigger than Zürich, so _ has more people.", "option1": "东京", "option2": "Zürich",
         "answer": "1"}],
    "hellaswag": [
        {"activity_label": "Cooking", "ctx_a": "A man stands in a kitchen [header] with a pot.",
         "ctx_b": "THE MAN pours water", "endings": ["into the pot [step] slowly.", "onto the floor.",
         "over his head.", "into a cup  and drinks."], "label": "0"},
        {"activity_label": "Greek", "ctx_a": "She writes a word.", "ctx_b": "ΟΣ is short",
         "endings": ["and ends with sigma.", "and long.", "in red ink.", "on the wall."], "label": "0"},
        {"activity_label": "German", "ctx_a": "He walks down the road.", "ctx_b": "ßtraße is the word",
         "endings": ["for street.", "for house.", "for tree.", "for car."], "label": "0"},
        {"activity_label": "Digraph", "ctx_a": "A letter.", "ctx_b": "ǆungla is a jungle",
         "endings": ["in Croatian.", "in English.", "in French.", "in Latin."], "label": "0"}],
    "arc_easy": [
        {"question": "Which symbol is a smiling face?  ", "choices": {"text": ["😀", "A", "東京", "é"],
         "label": ["A", "B", "C", "D"]}, "answerKey": "A"},
        {"question": "Pick the longest word.", "choices": {"text": ["a", "  spaced  out", "naïve", "x\ny"],
         "label": ["1", "2", "3", "4"]}, "answerKey": "2"}],
    "piqa": [
        {"goal": "Make tea ", "sol1": "boil water,\nthen steep the leaves.", "sol2": "freeze the leaves 🧊.",
         "label": 0},
        {"goal": "Écrire une lettre", "sol1": "avec un stylo", "sol2": "avec une fourchette", "label": 0}],
}


def write_tasks(tasks_dir, files, ppl):
    """lm-eval's own YAMLs, re-pointed at local files: {local task name: (our task, file)}."""
    import lm_eval
    src = Path(lm_eval.__file__).parent / "tasks"
    if tasks_dir.exists():
        shutil.rmtree(tasks_dir)
    tasks_dir.mkdir(parents=True)
    local = {}
    for ours, (folder, yaml_name, helpers) in YAMLS.items():
        for h in helpers:
            shutil.copy(src / folder / h, tasks_dir / h)
        lines, skip_list = [], False
        for line in (src / folder / yaml_name).read_text().splitlines():
            if skip_list and line.startswith("  - "):
                continue
            skip_list = line.startswith("tag:")
            if skip_list or line.startswith(DROP):
                continue
            lines.append(line)
        for label, path in files.get(ours, []):
            name = f"{ours}_{label}_local"
            head = [f"task: {name}", "dataset_path: json", "dataset_kwargs:", "  data_files:",
                    f"    validation: {path}", "validation_split: validation", "num_fewshot: 0"]
            if ours == "mmlu":     # label = the subject: the description of lm-eval's mmlu_<subject>.yaml
                import yaml
                sub = yaml.safe_load((src / folder / f"mmlu_{label.split('-')[0]}.yaml").read_text())
                head.append("description: " + json.dumps(sub["description"]))
            (tasks_dir / f"{name}.yaml").write_text("\n".join(head + lines) + "\n")
            local[name] = (ours, path)
    if "mmlu_fewshot" in files:     # 5 shots from a dev split: lm-eval's first_n sampler, as ours
        test, dev, sub = files["mmlu_fewshot"]
        import yaml
        desc = yaml.safe_load((src / "mmlu/default" / f"mmlu_{sub}.yaml").read_text())["description"]
        lines = [l for l in (src / "mmlu/default/_default_template_yaml").read_text().splitlines()
                 if not l.startswith(DROP)]
        name = f"mmlu_{sub}_brown_5shot_local"
        head = [f"task: {name}", "dataset_path: json", "dataset_kwargs:", "  data_files:", f"    validation: {test}",
                f"    dev: {dev}", "validation_split: validation", "fewshot_split: dev", "fewshot_config:",
                "  sampler: first_n", "num_fewshot: 5", "description: " + json.dumps(desc)]
        (tasks_dir / f"{name}.yaml").write_text("\n".join(head + lines) + "\n")
        local[name] = ("mmlu", f"{test}@{dev}")
    (tasks_dir / "ppl_utils.py").write_text(
        "import re\n\n\ndef doc_to_target(doc):\n    return doc[\"text\"]\n\n\n"
        "def process_results(doc, results):\n    (loglikelihood,) = results\n"
        "    _words = len(re.split(r\"\\s+\", doc[\"text\"]))\n    _bytes = len(doc[\"text\"].encode(\"utf-8\"))\n"
        "    return {\"word_perplexity\": (loglikelihood, _words), \"byte_perplexity\": (loglikelihood, _bytes),\n"
        "            \"bits_per_byte\": (loglikelihood, _bytes)}\n")
    (tasks_dir / "ppl_local.yaml").write_text(
        "task: ppl_local\ndataset_path: json\ndataset_kwargs:\n  data_files:\n"
        f"    validation: {ppl}\nvalidation_split: validation\noutput_type: loglikelihood_rolling\n"
        "doc_to_text: \"\"\ndoc_to_target: !function ppl_utils.doc_to_target\n"
        "process_results: !function ppl_utils.process_results\nmetric_list:\n  - metric: word_perplexity\n"
        "  - metric: byte_perplexity\n  - metric: bits_per_byte\nmetadata:\n  version: 2.0\n")
    return local


def run_lm_eval(model, tasks_dir, names, add_bos):
    import lm_eval
    from lm_eval.tasks import TaskManager
    args = f"pretrained={model},dtype=float32"
    if add_bos is not None:
        args += f",add_bos_token={add_bos}"
    out = lm_eval.simple_evaluate(model="hf", model_args=args, tasks=names, device="cpu", batch_size=1,
                                  log_samples=True, task_manager=TaskManager(include_path=str(tasks_dir)))
    return out["results"], out["samples"]


def run_ours(jar, model, local, bos, shots=0):
    spec = ",".join(f"{ours}:{path}" for ours, path in local.values())
    cmd = [JAVA, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", str(jar),
           str(ROOT / "reference/EvalItems.java"), str(model), spec, str(shots)] + (["bos"] if bos else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = [json.loads(l) for l in out.split("\n") if l.startswith("{")]   # (not splitlines: U+2028 is text)
    per_task, metrics, k = [], [], -1
    for r in rows:      # EvalItems prints the tasks in spec order, each closed by its metrics line
        if "metrics" in r:
            metrics.append(r["metrics"])
        else:
            if r["index"] == 0:   # (a task without items would shift the rest: every file here has some)
                per_task.append([])
            per_task[-1].append(r)
    return dict(zip(local, per_task)), dict(zip(local, metrics))


def lm_eval_args(sample):
    a = sample["arguments"]
    if isinstance(a, dict):     # {"gen_args_0": {"arg_0": context, "arg_1": continuation}, ...}
        return [(v["arg_0"], v["arg_1"]) for v in a.values()]
    return [tuple(x) for x in a]


def compare_mc(local, ours_items, ours_metrics, results, samples, label, failures, table):
    worst = 0.0
    for name, (task, path) in local.items():
        if task == "gsm8k":
            continue
        ref = sorted(samples[name], key=lambda s: s["doc_id"])
        mine = ours_items[name]
        if len(ref) != len(mine):
            failures.append(f"{label} {name}: {len(ref)} lm-eval items, {len(mine)} ours")
            continue
        close = 0
        for s, m in zip(ref, mine):
            args = lm_eval_args(s)
            pairs = list(zip(m["contexts"], m["continuations"]))
            if args != pairs:
                failures.append(f"{label} {name} item {s['doc_id']}: requests differ: lm-eval {args!r} ours {pairs!r}")
            lls = [float(r[0][0]) if isinstance(r[0], (list, tuple)) else float(r[0]) for r in s["resps"]]
            if task != "winogrande" and str(s["target"]) != str(m["gold"]):   # winogrande's target is the text
                failures.append(f"{label} {name} item {s['doc_id']}: gold lm-eval {s['target']} ours {m['gold']}")
            for c, (a, b) in enumerate(zip(lls, m["lls"])):
                d = abs(a - b)
                worst = max(worst, d)
                if d > 1e-3 + 1e-4 * abs(a):
                    failures.append(f"{label} {name} item {s['doc_id']} choice {c}: ll lm-eval {a!r} ours {b!r}")
            srt = sorted(lls)
            if len(srt) > 1 and min(y - x for x, y in zip(srt, srt[1:])) < 1e-3:
                close += 1
        res = results[name]
        row = [label, name, len(ref)]
        for metric in ("acc", "acc_norm"):
            theirs = res.get(f"{metric},none")
            ours = ours_metrics[name][metric] if (metric == "acc" or task != "winogrande") else None
            if theirs is None:
                row.append("-")
                continue
            row.append(f"{theirs:.4f} / {ours:.4f}")
            if abs(theirs - ours) > 1e-12 and close == 0:
                failures.append(f"{label} {name}: {metric} lm-eval {theirs} ours {ours}")
        row.append(close)
        table.append(row)
    return worst


def compare_gen(local, ours_items, ours_metrics, results, samples, label, failures, table):
    """gsm8k: the raw generations (lm-eval's resps) and both exact_match metrics."""
    for name, (task, path) in local.items():
        if task != "gsm8k":
            continue
        ref = list({s["doc_id"]: s for s in sorted(samples[name], key=lambda s: s["doc_id"])}.values())
        same = 0        # (lm-eval logs a generate_until document once per filter: one of each is kept)
        for s, m in zip(ref, ours_items[name]):
            theirs = s["resps"][0][0]
            prompt = lm_eval_args(s)[0][0]
            if prompt != m["prompt"]:
                failures.append(f"{label} {name} item {s['doc_id']}: prompts differ: {prompt!r} ours {m['prompt']!r}")
            if theirs == m["response"]:
                same += 1
            else:
                k = next((i for i, (a, b) in enumerate(zip(theirs, m["response"])) if a != b),
                         min(len(theirs), len(m["response"])))
                failures.append(f"{label} {name} item {s['doc_id']}: generations differ from character {k}: "
                                f"lm-eval ...{theirs[max(0, k - 40):k + 40]!r} ours ...{m['response'][max(0, k - 40):k + 40]!r}")
        row = [label, name, len(ref)]
        for metric in ("exact_match,strict-match", "exact_match,flexible-extract"):
            a, b = results[name][metric], ours_metrics[name][metric]
            row.append(f"{metric.split(',')[1]} {a:.4f} / {b:.4f}")
            if a != b:
                failures.append(f"{label} {name}: {metric} lm-eval {a} ours {b}")
        row.append(f"{same} of {len(ref)} generations equal")
        table.append(row)


def capitalize_sweep(jar):
    """Tasks.pythonCapitalize against this Python's str.capitalize on every assigned code point c, as c, c + "ΑΣ b"
    and c + "Σ" (a final sigma after c). Reported, not failed: CPython 3.11 has Unicode 14, Java 25 Unicode 16, and
    their final-sigma tests classify modifier letters differently; returns (strings, [differing inputs])."""
    import unicodedata
    ins = [chr(c) + t for c in range(0x110000) if unicodedata.category(chr(c)) not in ("Cn", "Cs")
           for t in ("", "\u0391\u03a3 b", "\u03a3")]
    cmd = [JAVA, "--add-modules", "jdk.incubator.vector", "-cp", str(jar), str(ROOT / "reference/EvalItems.java"),
           "--capitalize"]
    out = subprocess.run(cmd, input="".join(json.dumps(x) + "\n" for x in ins), capture_output=True, text=True,
                         encoding="utf-8", check=True).stdout.split("\n")
    return len(ins), [x for x, o in zip(ins, out) if json.loads(o) != x.capitalize()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jar", default=str(ROOT / "cli/target/minitron.jar"))
    ap.add_argument("--model", default=None, help="model folder (default: a copy of the bundled teacher)")
    ap.add_argument("--work", default="/tmp/lme")
    ap.add_argument("--items", type=int, default=200, help="brown-cloze-derived items per task")
    args = ap.parse_args()
    work = Path(args.work)
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    model = Path(args.model) if args.model else work / "teacher"
    if not args.model:
        model.mkdir(parents=True, exist_ok=True)
        for f in (ROOT / "transformer/src/main/resources/minitron/teacher").iterdir():
            shutil.copy(f, model / f.name)
    brown, ppl = brown_files(data, args.items)
    long_text = json.loads(gzip.open(ROOT / "transformer/src/main/resources/minitron/data/brown/"
                                     "brown-heldout.jsonl.gz", "rt", encoding="utf-8").readline())["text"][:4000]
    long_items = {   # contexts past the teacher's 512 positions: truncated from the left on both sides
        "winogrande": {"sentence": long_text + " So _ left.", "option1": "he", "option2": "she", "answer": "1"},
        "hellaswag": {"activity_label": "Long", "ctx_a": long_text, "ctx_b": "then", "endings": ["it ended.",
                      "he left."], "label": "1"},
        "arc_easy": {"question": long_text + " Why?", "choices": {"text": ["because", "never"],
                     "label": ["A", "B"]}, "answerKey": "A"},
        "piqa": {"goal": long_text, "sol1": "stop here.", "sol2": "go on.", "label": 1}}
    for t in MC_TASKS:
        write_jsonl(data / f"{t}_edge.jsonl", EDGE[t] + [long_items[t]])
    write_jsonl(data / "gsm8k_long.jsonl", [{"question": long_text + " How many?", "answer": "#### 3"}])
    files = {t: [("sample", SAMPLES / SAMPLE_FILE[t]), ("edge", data / f"{t}_edge.jsonl"), ("brown", brown[t])]
             for t in MC_TASKS}
    mmlu_rows = [json.loads(l) for l in open(SAMPLES / "mmlu_test.jsonl") if l.strip()]
    files["mmlu"] = []
    for sub in MMLU_SUBJECTS:
        write_jsonl(data / f"mmlu_{sub}.jsonl", [r for r in mmlu_rows if r["subject"] == sub])
        files["mmlu"].append((sub, data / f"mmlu_{sub}.jsonl"))
    files["mmlu"].append(("abstract_algebra-brown", brown["mmlu"]))
    files["gsm8k"] = [("sample", SAMPLES / "gsm8k.jsonl"), ("long", data / "gsm8k_long.jsonl")]
    every = [json.loads(l) for l in open(ROOT / "eval/src/main/resources/minitron/eval/brown-cloze.jsonl")]
    write_jsonl(data / "mmlu_brown_dev.jsonl", [{"question": it["context"], "subject": "abstract_algebra",
                                                  "choices": it["choices"], "answer": it["gold"]} for it in every[:5]])
    # (the first 5 test rows are the dev rows: lm-eval keeps such a row as its own example when the splits differ)
    files["mmlu_fewshot"] = (brown["mmlu"], data / "mmlu_brown_dev.jsonl", "abstract_algebra")
    local = write_tasks(work / "tasks", files, ppl)

    import lm_eval
    import torch
    import transformers
    torch.set_num_threads(max(1, os.cpu_count() // 2))
    print(f"lm_eval {lm_eval.__version__ if hasattr(lm_eval, '__version__') else '?'}, transformers "
          f"{transformers.__version__}, torch {torch.__version__}", flush=True)
    failures, table = [], []
    worst, runs = {}, {}
    for label, bos in (("no BOS", False), ("lm-eval default", None)):
        results, samples = run_lm_eval(model, work / "tasks", list(local) + (["ppl_local"] if bos is False else []),
                                       bos)
        runs[label] = samples
        zero = {k: v for k, v in local.items() if "5shot" not in k}
        five = {k: v for k, v in local.items() if "5shot" in k}
        ours_items, ours_metrics = run_ours(args.jar, model, zero, bos is None)
        items5, metrics5 = run_ours(args.jar, model, five, bos is None, shots=5)
        ours_items.update(items5)
        ours_metrics.update(metrics5)
        worst[label] = compare_mc(local, ours_items, ours_metrics, results, samples,
                                  label + (" (ours --add-bos)" if bos is None else ""), failures, table)
        compare_gen(local, ours_items, ours_metrics, results, samples,
                    label + (" (ours --add-bos)" if bos is None else ""), failures, table)
        if bos is False:
            out = subprocess.run([str(ROOT / "minitron"), "eval", "--model", str(model), "--tasks", f"ppl:{ppl}",
                                  "--json"], capture_output=True, text=True, check=True).stdout
            ours_ppl = json.loads(out)["results"]["ppl"]
            for metric in ("word_perplexity", "byte_perplexity", "bits_per_byte"):
                theirs = results["ppl_local"][f"{metric},none"]
                table.append(["ppl", metric, ours_ppl["documents"], f"{theirs:.6f} / {ours_ppl[metric]:.6f}", "", ""])
                if abs(theirs - ours_ppl[metric]) > 1e-4 * abs(theirs):
                    failures.append(f"ppl {metric}: lm-eval {theirs!r} ours {ours_ppl[metric]!r}")
    n, differ = capitalize_sweep(args.jar)
    print(f"capitalize sweep: {len(differ)} of {n} strings differ from Python {sys.version.split()[0]} "
          f"(Unicode {__import__('unicodedata').unidata_version}); {sum(1 for x in differ if len(x) == 1)} "
          f"single characters: {' '.join(f'U+{ord(x):04X}' for x in differ if len(x) == 1)}")
    print("\n| run | task | items | acc lm-eval / ours | acc_norm lm-eval / ours | items with choices within 1e-3 |")
    print("|---|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(str(x) for x in row) + " |")
    for label, w in worst.items():
        print(f"largest |ll lm-eval - ll ours| ({label}): {w:.3g}")
    moved = 0.0     # lm-eval's default against add_bos_token=False: how much BOS moves the log-likelihoods
    for name in local:
        if local[name][0] == "gsm8k":
            continue
        for a, b in zip(sorted(runs["no BOS"][name], key=lambda s: s["doc_id"]),
                        sorted(runs["lm-eval default"][name], key=lambda s: s["doc_id"])):
            for ra, rb in zip(a["resps"], b["resps"]):
                moved = max(moved, abs(float(ra[0][0]) - float(rb[0][0])))
    print(f"largest |ll lm-eval default - ll lm-eval add_bos_token=False|: {moved:.3g} (BOS is prepended by default)")
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
