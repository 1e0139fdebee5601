# The commands a newcomer types. `make run` and `make test` do all set-up themselves.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) -m varna.manage
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's local OpenID Connect provider (the municipality's account, make run only).
IDP_PORT ?= 9400
PYTEST_WORKERS ?= 2

export VARNA_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint format bench-import bench-submit bench-inbox bench-national bench-training messages clean

# The venv is rebuilt when the dependency pins or the project metadata change.
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	@# WeasyPrint (the PDFs) draws with Pango and subsets fonts with HarfBuzz.
	@ldconfig -p | grep -q libpango-1.0 || scripts/apt-install libpango-1.0-0 libpangoft2-1.0-0
	@ldconfig -p | grep -q libharfbuzz-subset || scripts/apt-install libharfbuzz-subset0
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

# Compiled translations are build output, not sources.
messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || scripts/apt-install gettext
	cd src/varna && VARNA_DEBUG=1 ../../$(PY) -m django compilemessages -v 0 --settings=varna.settings

run: $(VENV)/.installed messages
	@mkdir -p var
	@test -s var/secret_key || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	VARNA_SECRET_KEY="$$(cat var/secret_key)" VARNA_DEMO=1 VARNA_HTTPS=0 \
	    VARNA_DEMO_IDP_PORT=$(IDP_PORT) VARNA_OIDC_ISSUER=http://127.0.0.1:$(IDP_PORT) \
	    VARNA_OIDC_CLIENT_ID=varna-demo VARNA_OIDC_CLIENT_SECRET=demo \
	    VARNA_DPO_CONTACT="dataskyddsombud@demo.example, 0100-12 34 56" \
	    scripts/serve $(HOST) $(PORT)

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || scripts/apt-install nodejs npm
	npm ci --silent --no-audit --no-fund
	@touch $@

test: $(VENV)/.installed messages node_modules/.installed
	@command -v chromium >/dev/null || scripts/apt-install chromium
	$(PY) -m ruff check
	$(PY) -m ruff format --check
	$(PY) -m mypy
	VARNA_SECRET_KEY=check-only $(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not browser" $(PYTEST_ARGS)
	$(PY) -m pytest -p no:xdist -m browser $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check
	$(PY) -m mypy

format: $(VENV)/.installed
	$(PY) -m ruff format
	$(PY) -m ruff check --fix

bench-import: $(VENV)/.installed
	$(PY) bench/import_org.py

bench-submit: $(VENV)/.installed
	$(PY) bench/submit.py

bench-inbox: $(VENV)/.installed
	$(PY) bench/inbox.py --no-trial

bench-national: $(VENV)/.installed
	$(PY) bench/national.py

bench-training: $(VENV)/.installed
	$(PY) bench/training.py

clean:
	rm -rf $(VENV) node_modules staticfiles
