# Sourced by the scripts: puts the project's pinned tools first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.tools/venv/bin:$ROOT/tools/node/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export SAM_CLI_TELEMETRY=0

# The one debug build, shared by make run, make check and make test: every
# target of the workspace (tests included) in one cargo invocation, so the
# SDK crates are compiled once with one feature set. The local stack runs
# the binaries this build leaves in target/debug/ as they are (it never
# calls cargo run), so no later step compiles anything again.
build_workspace() {
  (cd "$ROOT" && cargo build --workspace --all-targets --locked "$@")
}

# The release binaries of the functions (the benchmark's cold starts).
build_functions_release() {
  local packages=() dir
  for dir in "$ROOT"/functions/*/; do
    [[ "$(basename "$dir")" == core ]] || packages+=(-p "$(basename "$dir")")
  done
  (cd "$ROOT" && cargo build --release --locked "${packages[@]}" "$@")
}

# "2 cores, 24 GiB, AMD EPYC ..., Linux 6.x": the machine a figure was measured on.
machine_description() {
  local model
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  printf '%s cores, %s GiB, %s, Linux %s' "$(nproc)" \
    "$(awk '/MemTotal/ { printf "%d", $2 / 1048576 + 0.5 }' /proc/meminfo)" \
    "${model:-unknown CPU}" "$(uname -r | cut -d- -f1)"
}
