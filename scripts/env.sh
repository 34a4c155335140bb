# Sourced by the scripts: puts the project's pinned tools first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.tools/venv/bin:$ROOT/tools/node/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export SAM_CLI_TELEMETRY=0

# Builds the Lambda function packages the way `cargo lambda watch` does (it
# runs `cargo run --bin <function>`): without the dev-dependencies' features
# that `cargo build --workspace --all-targets` unifies in, which would
# otherwise make watch compile the SDK crates again on its first invocation.
build_functions() {
  local packages=() dir
  for dir in "$ROOT"/functions/*/; do
    [[ "$(basename "$dir")" == core ]] || packages+=(-p "$(basename "$dir")")
  done
  (cd "$ROOT" && cargo build --locked "${packages[@]}" "$@")
}
