#!/usr/bin/env bash
# Prefill and decode of the Llama-3.2-1B shape with random BF16 weights: ours (`minitron bench decode`) against
# llama3.java (Alfonso Peterssen's single-file Llama 3 inference on the Vector API, mukel/llama3.java, MIT; not on
# Maven Central, so you provide its Llama3.java), on the same weights: our random checkpoint converted to GGUF by
# scripts/peer-llama3java/ToGguf.java (every matrix the same BF16 bytes, norms F32), alternated round by round,
# then the medians and the ratios.
# Usage: LLAMA3_JAVA=/path/to/Llama3.java scripts/bench-peer-llama3java.sh [ROUNDS] [PROMPT_TOKENS] [DECODE_TOKENS]
#   (defaults: 3, 512, 32). THREADS=N: threads of both programs (default: all cores; llama3.java's parallel streams
#   run on the common ForkJoinPool, N - 1 workers plus the calling thread). ~6 GB of disk in the scratch folder:
#   WORK=DIR to choose it (default: a new temporary folder, deleted at the end).
# llama3.java is run as a user would run it (instruct mode, greedy, no streaming) and times itself: its prompt
# tokens/s is one pass over the prompt in batches of 16 (llama.BatchSize), from a cold JVM, so its JIT compilation
# is inside that time; its generation tokens/s covers every generated token. Its prompt is text, wrapped in the
# Llama 3 chat template (10 tokens), sized to PROMPT_TOKENS in all; --max-tokens ends generation after
# DECODE_TOKENS forward steps unless the random model emits a stop token (<|eot_id|>, <|end_of_text|>) first.
# Ours is timed after a JIT warm-up (see `minitron bench decode --help`).
set -euo pipefail
if [ -z "${LLAMA3_JAVA-}" ] || [ ! -f "$LLAMA3_JAVA" ]; then
  echo "bench-peer-llama3java: set LLAMA3_JAVA to the path of Llama3.java from https://github.com/mukel/llama3.java${LLAMA3_JAVA:+ (not found: $LLAMA3_JAVA)}" >&2
  exit 1
fi
LLAMA3_JAVA=$(realpath "$LLAMA3_JAVA")
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
PROMPT=${2:-512}
DECODE=${3:-32}
THREADS=${THREADS:-$(nproc)}
if [ "$PROMPT" -le 10 ]; then
  echo "bench-peer-llama3java: PROMPT_TOKENS must be above 10 (llama3.java's chat template takes 10)" >&2
  exit 1
fi
. scripts/find-jdk.sh
minitron_find_jdk
JAVA="$JAVA_HOME/bin/java"
if [ -z "${WORK-}" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

# llama3.java, compiled once (its header asks for preview features and the Vector API module)
release=$(minitron_java_major "$JAVA")
mkdir -p "$WORK/llama3-classes"
if ! "$JAVA_HOME/bin/javac" --release "$release" --enable-preview --add-modules jdk.incubator.vector \
    -d "$WORK/llama3-classes" "$LLAMA3_JAVA" >"$WORK/javac.log" 2>&1; then
  cat "$WORK/javac.log" >&2
  echo "bench-peer-llama3java: $LLAMA3_JAVA did not compile" >&2
  exit 1
fi

# The random checkpoint (our first round writes it), then the same weights as GGUF for llama3.java.
ours=()
ours+=("$(./minitron bench decode --keep "$WORK/model" --threads "$THREADS" --prompt-tokens "$PROMPT" \
  --decode-tokens "$DECODE" --json 2>/dev/null | tail -n 1)")
"$JAVA" -cp cli/target/minitron.jar scripts/peer-llama3java/ToGguf.java "$WORK/model" \
  transformer/src/test/resources/llama3.1/tokenizer.json "$WORK/model.gguf"

# The prompt: PROMPT - 10 words that are one token each ("The", " quick", ...), so that with the template
# (<|begin_of_text|>, user and assistant headers, <|eot_id|>) llama3.java ingests PROMPT tokens.
words=(The quick brown fox jumps over the lazy dog)
text=""
for i in $(seq 0 $((PROMPT - 11))); do text+="${text:+ }${words[i % 9]}"; done

# One llama3.java run; its last stderr line reads
# "context: C/M prompt: X tokens/s (P) generation: Y tokens/s (G)". G tokens were sampled after G - 1 forward
# steps (the first comes from the prompt's logits), so decode tokens/s = (G - 1) / (G / Y).
peer_run() {
  if ! "$JAVA" --enable-preview --add-modules jdk.incubator.vector -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 \
      -Djava.util.concurrent.ForkJoinPool.common.parallelism=$((THREADS - 1)) -Duser.language=en -Duser.country=US \
      -cp "$WORK/llama3-classes" com.llama4j.Llama3 --model "$WORK/model.gguf" --prompt "$text" \
      --temperature 0 --max-tokens $((PROMPT + DECODE)) --stream false >/dev/null 2>"$WORK/peer.err"; then
    cat "$WORK/peer.err" >&2
    exit 1
  fi
  grep -a '^context:' "$WORK/peer.err" | tail -n 1 | awk -v want="$DECODE" '{
      p = $4; pn = $6; g = $8; gn = $10; gsub(/[()]/, "", pn); gsub(/[()]/, "", gn)
      printf "{\"peer\": \"llama3.java\", \"prefill_tokens\": %d, \"prefill_tps\": %s, \"decode_tokens\": %d, \"decode_tps\": %.3f%s}\n",
        pn, p, gn - 1, (gn - 1) / (gn / g), gn - 1 < want ? ", \"stopped_early\": true" : ""
    }'
}

peer=()
for round in $(seq 1 "$ROUNDS"); do
  peer+=("$(peer_run)")
  echo "round $round: llama3.java ${peer[-1]}"
  if [ "$round" -gt 1 ]; then
    ours+=("$(./minitron bench decode --model "$WORK/model" --threads "$THREADS" --prompt-tokens "$PROMPT" \
      --decode-tokens "$DECODE" --json 2>/dev/null | tail -n 1)")
  fi
  echo "round $round: ours        ${ours[-1]}"
done
# Medians of each program's rounds, and ours / llama3.java.
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "threads $THREADS; llama3.java prompt tokens: $(printf '%s\n' "${peer[@]}" | field prefill_tokens | sort -u | tr '\n' ' ')"
if printf '%s\n' "${peer[@]}" | grep -q stopped_early; then
  echo "note: llama3.java stopped early (a stop token) in some rounds: fewer than $DECODE decode steps there"
fi
for f in prefill_tps decode_tps; do
  o=$(printf '%s\n' "${ours[@]}" | field "$f" | median)
  p=$(printf '%s\n' "${peer[@]}" | field "$f" | median)
  awk -v f="$f" -v o="$o" -v p="$p" \
    'BEGIN {printf "%-11s ours %8.2f  llama3.java %8.2f  ours / llama3.java %.2fx\n", f, o, p, o / p}'
done
