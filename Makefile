# msp.connectwise developer entry points. `make test` is THE test command (CI runs it via .ci/run).
.PHONY: help demo test bootstrap sanity lint docs build clean

help:
	@echo "make bootstrap  create .venv (Python 3.11, oldest core) and .venv-py312 (newest core)"
	@echo "make test       every stage: pytest x2, ansible-test sanity x2, ansible-lint, ansible-doc, build"
	@echo "make sanity     ansible-test sanity on both cores only"
	@echo "make lint       ansible-lint --offline --profile production only"
	@echo "make demo       scripts/demo.sh"
	@echo "make docs       ansible-doc renders every module only"
	@echo "make build      Galaxy build and tarball check only"
	@echo "make clean      remove venvs, test output and built tarballs"
	@echo
	@echo "make test stages, in order (stops at the first failure):"
	@echo "  bootstrap pytest-py311 pytest-py312 sanity-py311 sanity-py312 lint docs build"
	@echo "knobs (ignored when CI=true): STAGES=\"pytest-py311 lint\" SKIP_PYTEST=1 SKIP_SANITY=1 SKIP_LINT=1"
	@echo "  SKIP_DOCS=1 SKIP_BUILD=1 SKIP_PY312=1 PYTEST_ARGS=\"-k client -x\" SANITY_ARGS=\"--test pep8\""
	@echo "  KEEP_GOING=1 KEEP_WORK=1   (see scripts/test.sh)"

demo: bootstrap
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bootstrap:
	bash scripts/bootstrap.sh

sanity:
	STAGES="sanity-py311 sanity-py312" bash scripts/test.sh

lint:
	STAGES="lint" bash scripts/test.sh

docs:
	STAGES="docs" bash scripts/test.sh

build:
	STAGES="build" bash scripts/test.sh

clean:
	rm -rf .venv .venv-py312 tests/output .pytest_cache build demo-output msp-connectwise-*.tar.gz
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
