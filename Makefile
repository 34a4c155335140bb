# The commands a person runs; each is a script under scripts/.
.PHONY: setup test lint build run validate deploy

setup:     ## install the pinned tools (Python venv, Node 22 packages, crates)
	scripts/setup

test:      ## every check and test, as CI runs them
	scripts/test

lint:      ## formatting and clippy
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

build:     ## debug build of the workspace
	cargo build --workspace

run:       ## the local end-to-end run (simulator, local S3, real ASL, real binaries)
	scripts/run-local

validate:  ## the template and the ASL: cfn-lint, sam validate --lint, asl-validator
	scripts/test.d/20-template

deploy:    ## sam build, then sam deploy (guided the first time)
	. scripts/env.sh && sam build --beta-features && if [ -f samconfig.toml ]; then sam deploy; else sam deploy --guided; fi
