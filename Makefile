# The two commands a new machine needs: `make run` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
RUN_FLAGS ?= --dev

.PHONY: deps test-deps configure build run test clean bench profile

deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-deps.sh --test
	@cd tests && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi

configure:
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: deps configure
	@cmake --build $(BUILD_DIR)

run: build
	./$(BUILD_DIR)/sorakd $(RUN_FLAGS)

test: test-deps configure
	@cmake --build $(BUILD_DIR)
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600

# Every scenario against sorakd and the peers, side by side: bench/RESULTS.md (about 15 minutes).
bench: build
	@bash scripts/install-bench-deps.sh
	BUILD_DIR=$(BUILD_DIR) bash bench/run.sh

# One case (PROFILE_CASE=fanout|connect|rest, default fanout 5k × 400) under perf (or callgrind): bench/results/profile-$(LABEL).txt.
profile: build
	@bash scripts/install-bench-deps.sh
	BUILD_DIR=$(BUILD_DIR) bash bench/profile.sh $(LABEL) "$(NOTE)"

clean:
	rm -rf $(BUILD_DIR)
