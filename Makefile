# Covenant: `make run` starts the portal, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT   ?= 8000
export COVENANT_SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: setup syscheck chromium run test lint typecheck format migrate bench clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"' \
	  || { echo "Covenant needs Python 3.11+ (Debian: apt-get install python3 python3-venv)."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) \
	  || { echo "Could not create a virtual environment (Debian: apt-get install python3-venv)."; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*; touch $@

setup: $(STAMP) syscheck

syscheck: $(STAMP)
	@$(BIN)/python bin/syscheck.py

migrate: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py refresh_statistics

# Debug (and its development secret key) only when asked for: the settings
# default to production behaviour. Local targets ask; an environment value wins.
run migrate lint typecheck: export DJANGO_DEBUG ?= 1

run: setup migrate
	$(BIN)/python manage.py make_signing_key
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py setup_schedules
	@PORT=$(PORT) BIN=$(BIN) bash bin/run

# tests/browser drives Debian's Chromium through Playwright, which never
# downloads a browser of its own: as root this installs the distribution's.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; \
	  else echo "The browser tests need Chromium. Install it with:  sudo apt-get install -y chromium"; exit 1; fi; }

test: setup chromium
	COVENANT_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory typecheck

# mypy may only report errors listed in mypy-baseline.txt; after fixing some,
# `.venv/bin/python bin/mypy_baseline.py --update` shrinks that file.
typecheck: setup
	$(BIN)/python bin/mypy_baseline.py

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every bench/ script at a size that finishes in under 10 minutes in all
# (BENCH_SCALE shrinks the generated data; run a script alone for its full
# size). Each prints medians and spreads of runs interleaved with its baseline.
BENCH_SCALE ?= 0.2
BENCH_RUNS = \
  "calendars.py --n 20000 --ref-elapsed-n 140 --ref-add-n 1400" \
  "reconcile.py --components 40" \
  "close.py" \
  "incidents.py" \
  "simulate.py" \
  "ingest.py --total 100000 --formats 100" \
  "fanout.py" \
  "dashboard.py" \
  "generate.py"
bench: export DJANGO_DEBUG ?= 1
bench: export BENCH_SCALE := $(BENCH_SCALE)
bench: setup
	@$(BIN)/python manage.py make_signing_key >/dev/null
	@failed=""; for run in $(BENCH_RUNS); do \
	  echo "== bench/$$run"; \
	  $(BIN)/python bench/$$run || failed="$$failed $${run%% *}"; \
	done; \
	if [ -n "$$failed" ]; then echo "Failed or missed a target:$$failed"; exit 1; fi

clean:
	rm -rf var/broker var/broker-control var/test-broker var/test-*.sqlite3*
