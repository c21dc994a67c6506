#!/usr/bin/env bash
# Prefill and decode of the Llama-3.2-1B shape with random BF16 weights: ours (`minitron bench decode`) against
# Jlama 0.8.4 (pure Java on the Vector API, the best-known Java peer; scripts/peer-jlama/), on the same checkpoint,
# alternated round by round, then the medians and the ratios.
# Usage: scripts/bench-peer-jlama.sh [ROUNDS] [PROMPT_TOKENS] [DECODE_TOKENS]   (defaults: 3, 512, 32)
# Needs Maven Central (Jlama and its dependencies are fetched into the scratch folder) and ~3 GB of disk there:
# WORK=DIR to choose it (default: a new temporary folder, deleted at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
PROMPT=${2:-512}
DECODE=${3:-32}
. scripts/find-jdk.sh
minitron_find_jdk
JAVA="$JAVA_HOME/bin/java"
if [ -z "${WORK-}" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

./mvnw -B -ntp -q -f scripts/peer-jlama/pom.xml dependency:copy-dependencies -DoutputDirectory="$WORK/jlama-lib" \
  2>/dev/null
# The random checkpoint, kept for both programs (our first round writes it); Jlama also loads a tokenizer.json.
ours=()
ours+=("$(./minitron bench decode --keep "$WORK/model" --prompt-tokens "$PROMPT" --decode-tokens "$DECODE" --json \
  2>/dev/null | tail -n 1)")
cp transformer/src/test/resources/llama3.1/tokenizer.json "$WORK/model/"
peer=()
for round in $(seq 1 "$ROUNDS"); do
  peer+=("$("$JAVA" --add-modules jdk.incubator.vector -cp "$WORK/jlama-lib/*" \
    scripts/peer-jlama/JlamaPeer.java "$WORK/model" "$PROMPT" "$DECODE" 2>/dev/null | tail -n 1)")
  echo "round $round: jlama ${peer[-1]}"
  if [ "$round" -gt 1 ]; then
    ours+=("$(./minitron bench decode --model "$WORK/model" --prompt-tokens "$PROMPT" --decode-tokens "$DECODE" \
      --json 2>/dev/null | tail -n 1)")
  fi
  echo "round $round: ours  ${ours[-1]}"
done
# Medians of each program's rounds, and ours / Jlama.
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for f in prefill_tps decode_tps; do
  o=$(printf '%s\n' "${ours[@]}" | field "$f" | median)
  p=$(printf '%s\n' "${peer[@]}" | field "$f" | median)
  awk -v f="$f" -v o="$o" -v p="$p" 'BEGIN {printf "%-11s ours %8.2f  jlama %8.2f  ours / jlama %.2fx\n", f, o, p, o / p}'
done
