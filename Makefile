# The commands a person runs; each is a script under scripts/.
.PHONY: setup test check lint build run validate deploy

setup:     ## install the pinned tools (Python venv, Node 22 packages, crates)
	scripts/setup

test:      ## every check and test, as CI runs them (.ci/run)
	scripts/test

check:     ## the fast tier: fmt, clippy, the Rust tests and the wire tests
	scripts/check

lint:      ## formatting and clippy
	scripts/test.d/00-style

build:     ## the one debug build of the workspace, shared by run, check and test
	. scripts/env.sh && build_workspace

run:       ## the local end-to-end run (simulator, local S3, real ASL, real binaries)
	scripts/run-local

validate:  ## the template and the ASL: cfn-lint, sam validate --lint, asl-validator
	scripts/test.d/20-template

deploy:    ## sam build, then sam deploy (guided the first time)
	. scripts/env.sh && sam build --beta-features && if [ -f samconfig.toml ]; then sam deploy; else sam deploy --guided; fi
