#!/usr/bin/env bash
# Python ecosystem checks for CI (.ci/run calls this after `npm test`; `npm test` itself never needs
# Python). A dataset the built CLI writes is opened by the Python libraries people train with.
#
#   bash scripts/ci-python.sh            # all steps
#   CI_PYTHON_STEPS="ecosystem" bash scripts/ci-python.sh
#
# The venv is `.venv-ref` in the repo root (gitignored), made from scripts/ci/requirements.txt. When
# /opt/pypi/simple exists (this machine's local index; pip's default index is unreachable here) pip
# installs from it; otherwise pip's own configuration applies. When no venv can be made the script
# says so and exits 0: the checks are skipped, not passed.
#
# Adding a check: write a function `step_<name>` below (it may use $PY, $ROOT, $WORK and the sample
# dataset from `sample_dataset`), append <name> to STEPS, and add its packages to
# scripts/ci/requirements.txt. Each step prints its own one-line result; a failing step fails CI.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VENV="${CHATSHARD_CI_VENV:-$ROOT/.venv-ref}"
WORK="$ROOT/.tmp/ci-python"
STEPS=(ecosystem parquet packing sft unicode)

skip() {
  echo "python-ecosystem: SKIPPED ($1)"
  exit 0
}

make_venv() {
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import datasets, pyarrow, polars, duckdb, trl, torch' 2>/dev/null; then
    return
  fi
  local python
  python="$(command -v python3 || command -v python || true)"
  [ -n "$python" ] || skip "no python3 on PATH"
  "$python" -m venv "$VENV" >/dev/null 2>&1 || skip "python3 -m venv $VENV failed"
  if [ -d /opt/pypi/simple ]; then export PIP_INDEX_URL=file:///opt/pypi/simple; fi
  echo "ci-python: installing scripts/ci/requirements.txt into $VENV${PIP_INDEX_URL:+ from $PIP_INDEX_URL}"
  mkdir -p "$ROOT/.tmp"
  local log="$ROOT/.tmp/ci-python-pip.log"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -r scripts/ci/requirements.txt >"$log" 2>&1; then
    tail -5 "$log"
    skip "pip could not install scripts/ci/requirements.txt into $VENV (log: $log)"
  fi
}

# The dataset `npm start` writes (pipeline/default.json: the embedded samples), built fresh with the
# compiled CLI into $WORK/sample. Prints the folder; its row count is in summary.json.
sample_dataset() {
  local out="$WORK/sample"
  if [ ! -f "$out/summary.json" ]; then
    [ -f dist/cli/main.js ] || npm run build >/dev/null
    node dist/cli/main.js run pipeline/default.json --output "$out" --overwrite >/dev/null
  fi
  echo "$out"
}

rows_of() {
  "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows_written"])' "$1/summary.json"
}

# datasets.load_from_disk, pyarrow and polars open the sample dataset and agree with each other; with
# --keep-columns (string, JSON-list and missing values) they read back each input row's values.
step_ecosystem() {
  local dir
  dir="$(sample_dataset)"
  "$PY" scripts/ci/python_ecosystem.py "$dir" "$(rows_of "$dir")"
  local keep=(samples/data/gsm8k.messages.jsonl samples/data/sgd_multiturn.messages.jsonl
    samples/data/glaive_toolcall_en.messages.jsonl)
  node dist/cli/main.js run "${keep[@]/#/--input=}" --tokenizer samples/tokenizer \
    --chat-template samples/qwen2_5_training.jinja --now 2025-03-14T09:26:53 \
    --keep-columns id,services,source_file --output "$WORK/keep" --overwrite --no-progress >/dev/null
  "$PY" scripts/check_load_from_disk.py "$WORK/keep" >/dev/null
  "$PY" scripts/ci/check_kept_columns.py "$WORK/keep" "${keep[@]}"
}

# --format parquet: load_dataset gives the Arrow output's features and rows; pyarrow, polars and DuckDB read it.
step_parquet() {
  node dist/cli/main.js run pipeline/default.json --format parquet --output "$WORK/pq" --overwrite --no-progress >/dev/null
  "$PY" scripts/check_parquet.py "$WORK/pq" "$(sample_dataset)"
  # Kept input columns in Parquet: load_dataset, pyarrow and polars read each input row's values.
  local keep=(samples/data/gsm8k.messages.jsonl samples/data/sgd_toolcalls.messages.jsonl)
  node dist/cli/main.js run "${keep[@]/#/--input=}" --tokenizer samples/tokenizer \
    --chat-template samples/qwen2_5_training.jinja --now 2025-03-14T09:26:53 --format parquet \
    --keep-columns id,services --output "$WORK/pq-keep" --overwrite --no-progress >/dev/null
  "$PY" scripts/ci/check_kept_columns.py "$WORK/pq-keep" "${keep[@]}"
}

# Packing equals TRL's pack_dataset (bfd, bfd_split, wrapped) on the rows an unpacked run writes.
step_packing() {
  "$PY" scripts/pack-parity.py --input samples/data --tokenizer samples/tokenizer \
    --chat-template samples/qwen2_5_training.jinja --max-length 1024 --work "$WORK/pack" -- --now 2025-03-14T09:26:53
}

# TRL's SFTTrainer (padding-free, position ids from seq_lengths) trains a tiny model on packed output.
step_sft() {
  node dist/cli/main.js run --input samples/data/gsm8k.messages.jsonl \
    --input samples/data/glaive_toolcall_zh.sharegpt.jsonl --tokenizer samples/tokenizer \
    --chat-template samples/qwen2_5_training.jinja --now 2025-03-14T09:26:53 --max-length 512 \
    --packing --position-ids --output "$WORK/sft" --overwrite --no-progress >/dev/null
  "$PY" scripts/trl-sft-smoke.py "$WORK/sft" --tokenizer samples/tokenizer --steps 3
}

# The own engine's Unicode tables (Rust Punctuation set, code points Rust does not know yet) still
# match the Rust tokenizer, read off the Python binding code point by code point.
step_unicode() {
  PYTHON="$PY" node scripts/goldens/unicode-tables.mjs --check | sed 's/^/unicode-tables: /'
}

make_venv
PY="$VENV/bin/python"
rm -rf "$WORK"
mkdir -p "$WORK"
for step in ${CI_PYTHON_STEPS:-${STEPS[@]}}; do
  "step_$step"
done
