# The two commands in README.md: `make run` and `make test`. Everything else is a helper.
.PHONY: run test bootstrap train test-service test-bot eval-nlu bench lint format clean

run:            ## set up both environments, train if needed, start everything on :8000
	@scripts/bootstrap.sh
	@.venv/bin/python scripts/stack.py run

test:           ## the whole suite: bot checks, service, integration and browser tests
	@scripts/test.sh

bootstrap:      ## create or update .venv (3.11) and bot/.venv (3.10) from the lock files
	@scripts/bootstrap.sh

train:          ## train the Rasa model if bot/ training data or config changed
	@scripts/bootstrap.sh
	@.venv/bin/python scripts/stack.py train

test-service:   ## only the service tests (pytest args: make test-service ARGS="-k resume")
	@.venv/bin/pytest $(ARGS)

test-bot:       ## only the bot checks (data validation, action tests, test stories)
	@scripts/test.sh bot

eval-nlu:       ## 5-fold NLU cross-validation; report in bot/results/
	@scripts/bootstrap.sh
	@cd bot && .venv/bin/python scripts/eval_nlu.py

bench:          ## latency, size and load benchmarks (< 15 min); JSON in bench/reports/, lines in docs/performance.md
	@scripts/bootstrap.sh
	@.venv/bin/python bench/answer_latency.py
	@.venv/bin/python bench/handover_latency.py
	@.venv/bin/python bench/widget_size.py
	@.venv/bin/python bench/relay.py
	@.venv/bin/python bench/append_cost.py
	@.venv/bin/python bench/storm.py --timeout 60
	@.venv/bin/python bench/idle.py --sockets 10000 --connect-timeout 240

lint:           ## ruff check, ruff format --check and mypy --strict (make format fixes the formatting)
	@.venv/bin/ruff check handover klantbeeld_client scripts tests bench bot
	@.venv/bin/ruff format --check handover klantbeeld_client scripts tests bench bot
	@.venv/bin/mypy

format:         ## apply ruff's formatting (make lint checks it)
	@.venv/bin/ruff format handover klantbeeld_client scripts tests bench bot

clean:          ## remove environments, models and runtime state
	rm -rf .venv bot/.venv .tools bot/models bot/results var
