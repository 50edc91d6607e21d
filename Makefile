# celery-lab: the course's commands. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Where the tour and the tests find Redis: built from source into an ignored folder of the repo.
REDIS_VERSION := $(shell awk '!/^\#/ && $$5 == "default" { sub(/^redis-/, "", $$1); sub(/\.tar\.gz$$/, "", $$1); print $$1 }' scripts/redis-releases.txt)
export CELERY_LAB_REDIS_PREFIX ?= $(CURDIR)/.redis/redis-$(REDIS_VERSION)

.PHONY: help deps browser venv redis tour check play bless bench bench-peers bench-trip notebook words lint test test-learner test-container test-arm64 test-lock test-vm lock clean

help: ## list the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install the build prerequisites through apt when missing (root, sudo, or prints the command)
	@bash scripts/install-build-deps.sh

browser: ## Debian's chromium and chromedriver for the browser test of Flower (lesson 12), through apt when missing
	@bash scripts/install-build-deps.sh chromium chromium-driver

venv: $(BIN)/.installed ## the course's virtualenv: the packages of requirements.txt, each checked against its hash
	@echo "    $(VENV) holds the packages pinned in requirements.txt"

# INSTALLER=uv: the same lock, hashes checked, installed by uv (requirements-uv.in) instead of pip; the VM's
# provisioning does so (under an emulated CPU pip's own Python is most of the time). pip by default.
INSTALLER ?= pip
ifeq ($(INSTALLER),uv)
INSTALL = $(BIN)/uv pip install --python $(BIN)/python
else ifeq ($(INSTALLER),pip)
INSTALL = $(BIN)/pip install
else
$(error INSTALLER=$(INSTALLER): say pip (the default) or uv)
endif

$(BIN)/.installed: requirements.txt requirements-hiredis.txt requirements-peers.txt requirements-uv.txt
	@bash scripts/check-python.sh "$(PYTHON)"  # a Python (and a Linux) the lock's wheels are for
	@bash scripts/install-build-deps.sh  # python3-venv, where this Python lacks it
	@echo "==> venv $(VENV) with requirements.txt, by $(INSTALLER) (a minute or two)"
	@$(PYTHON) -m venv $(VENV)
ifeq ($(INSTALLER),uv)
	@$(BIN)/pip install -q --require-hashes --only-binary=:all: --no-deps -r requirements-uv.txt
endif
	@$(INSTALL) -q --require-hashes --only-binary=:all: -r requirements.txt
	@# lesson 15's hiredis, on no sys.path: only the ladder's hiredis rung gets it (requirements-hiredis.in)
	@$(INSTALL) -q --require-hashes --only-binary=:all: --no-deps --upgrade --target $(VENV)/hiredis \
	  -r requirements-hiredis.txt
	@# lesson 15's peers (RQ, Dramatiq, Huey, arq, and the redis-py 5 arq needs), on no sys.path either:
	@# only their processes get it (requirements-peers.in)
	@$(INSTALL) -q --require-hashes --only-binary=:all: --no-deps --upgrade --target $(VENV)/peers \
	  -r requirements-peers.txt
	@touch $@

redis: deps ## build Redis from source, with TLS, into .redis/ (skipped when already built)
	@bash scripts/build-redis.sh --prefix "$(CELERY_LAB_REDIS_PREFIX)"

tour: deps venv redis ## set-up, then play every lesson from 02 on as written, in real terminals (ARGS: --from NN, --to NN, --skip NN)
	@$(BIN)/python scripts/tour.py $(ARGS)

check: $(BIN)/.installed ## the stage table (STAGE=worker-up: one stage's details; LANG=zh_CN.UTF-8: in Chinese)
	@$(BIN)/python scripts/check.py $(STAGE)

play: deps venv redis ## play lessons as written and compare their outputs: make play LESSON=03 (or "03 05")
	@$(BIN)/python scripts/play.py $(or $(LESSON),$(error name the lessons: make play LESSON=03))

bless: deps venv redis ## rewrite lessons' shown outputs from a real run: make bless LESSON=03
	@$(BIN)/python scripts/play.py --bless $(or $(LESSON),$(error name the lessons: make bless LESSON=03))

bench: deps venv redis ## the performance ladder (lesson 15): Celery rung by rung against raw Redis, a table and a chart
	@$(BIN)/python scripts/bench.py $(ARGS)

bench-peers: deps venv redis ## lesson 15's peers: the same task on Celery, RQ, Dramatiq, Huey and arq, on one Redis
	@$(BIN)/python scripts/bench-peers.py $(ARGS)

bench-trip: deps venv redis ## Celery's round trip and the article's polling against raw Redis (lesson 06)
	@$(BIN)/python scripts/bench-trip.py

notebook: deps venv redis ## open JupyterLab on notebooks/ with the course's venv as the kernel
	@$(BIN)/python scripts/notebook.py

words: $(BIN)/.installed ## how much each lesson asks to read on its step path (prose outside code and asides), against the targets
	@$(BIN)/python scripts/words.py

lint: venv ## ruff over the course's Python
	@$(BIN)/ruff check .

test: deps browser ## the test suite: lint, unit tests, real Redis + workers, a real browser, every notebook
	@# the venv and Redis's build side by side (pip mostly waits on files, the compiler on the CPU): a minute less
	@$(MAKE) --no-print-directory -j2 --output-sync=target venv redis
	@$(BIN)/ruff check .
	@$(BIN)/pytest

test-learner: ## as root: a throwaway normal user clones the course and plays lessons 16-18 as written; nothing left
	@bash scripts/test-learner.sh

test-container: ## as root: the Containerfile built with podman, the tour inside as its user, Python 3.13; nothing left
	@bash scripts/test-container.sh

test-arm64: ## as root: the Containerfile for linux/arm64 under qemu-user; the venv, Redis built, PING (not in CI)
	@bash scripts/test-arm64.sh

test-lock: venv ## pip fetches the lock for CPython 3.11-3.13 on x86-64 and aarch64, hashes checked
	@$(BIN)/python scripts/test-lock.py

test-vm: ## boot the Vagrant VM for real (libvirt/QEMU): provision, the VM path's lessons + notebooks inside, destroy
	@bash scripts/test-vm.sh

lock: venv ## re-pin requirements.txt from requirements.in: CPython 3.11-3.13 on Linux (ARGS=--upgrade: the dependencies too)
	@$(BIN)/python scripts/lock.py $(ARGS)

clean: ## remove the venv, the Redis build and run state
	rm -rf $(VENV) .redis .run
