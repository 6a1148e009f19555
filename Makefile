# The two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
export PTSP_DATABASE_URL ?= sqlite:///var/ptsp.db

NODE_STAMP := tools/bpmn-js/node_modules/.installed
CATALOGS   := $(patsubst %.po,%.mo,$(wildcard webui/translations/*/LC_MESSAGES/messages.po))
PROBLEM_CATALOGS := $(patsubst %.po,%.mo,$(wildcard webui/translations/*/LC_MESSAGES/problems.po))

.PHONY: venv node-deps catalogs translations problem-translations run demo cluster test test-postgres lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

# bpmn-js and bpmnlint check the diagram as a modeler opens it; skipped without npm.
$(NODE_STAMP): tools/bpmn-js/package.json tools/bpmn-js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tools/bpmn-js --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the modeler checks will be skipped"; fi

node-deps: $(NODE_STAMP)

# The UI's translations, compiled from the .po files kept in git.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ -l $(word 3,$(subst /, ,$<)) -D messages >/dev/null

# The deploy problems' words (the templates of engine/definitions.py and engine/catalogue.py), a catalog domain of their own.
# Fuzzy entries are left out: a problem shown in Indonesian is one somebody has checked.
webui/translations/%/LC_MESSAGES/problems.mo: webui/translations/%/LC_MESSAGES/problems.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@ -l $* -D problems >/dev/null

catalogs: $(CATALOGS) $(PROBLEM_CATALOGS)

## Update the .po files after changing UI texts (then translate the new entries).
translations: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o webui/translations/messages.pot .
	$(BIN)/pybabel update -i webui/translations/messages.pot -d webui/translations --no-fuzzy-matching

## Update problems.po after changing a deploy problem's wording (then translate the new entries).
problem-translations: venv
	$(BIN)/pybabel extract --no-default-keywords -k problem -k _problem -k N_ -k of --no-location --sort-output \
		--project PTSP -o webui/translations/problems.pot engine/definitions.py engine/catalogue.py
	$(BIN)/pybabel update -D problems -i webui/translations/problems.pot -d webui/translations --no-fuzzy-matching

## Set up the embedded SQLite database, the deployed diagram and demo users, and serve the UI on :5000.
run: venv catalogs
	$(BIN)/ptsp setup --demo-users
	$(BIN)/ptsp serve --host 127.0.0.1 --port 5000

## One application taken through all lanes on the command line, with its timeline.
demo: venv
	$(BIN)/ptsp demo

## A multi-node PTSP on this machine: private PostgreSQL, gunicorn (4 workers), 2 timer workers; Ctrl-C stops.
cluster: venv catalogs
	$(BIN)/python -m deploy.cluster up --web-workers 4 --timer-workers 2 --port 8800

## Run the whole test suite (PostgreSQL tests run when PTSP_TEST_POSTGRES_URL is set).
test: venv node-deps catalogs
	$(BIN)/pytest

test-postgres: venv
	PTSP_TEST_POSTGRES_URL=$${PTSP_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m postgres

lint: venv
	$(BIN)/ruff check engine webui tests bench deploy
	$(BIN)/ruff format --check engine webui tests bench deploy

format: venv
	$(BIN)/ruff format engine webui tests bench deploy
	$(BIN)/ruff check --fix engine webui tests bench deploy

## Benchmarks print ratios against a baseline measured in the same run.
bench: venv
	$(BIN)/python -m bench.durable_vs_memory
	$(BIN)/python -m bench.task_list
	$(BIN)/python -m bench.tick
	$(BIN)/python -m bench.web_task_list
	$(BIN)/python -m bench.audit_verify
	$(BIN)/python -m bench.audit_export
	$(BIN)/python -m bench.http_throughput

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
