# The front door. `make run` and `make test` set up, build, and go.
# On a host without a usable /dev/kvm, both boot the kernel in a nested guest
# under QEMU's TCG (scripts/kvm-or-nested.sh), where exo runs as kvm-hw.
BUILD ?= build
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
# The unit tests again with ASan and UBSan (host code only), and each libFuzzer
# harness of fuzz/ for FUZZ_SECONDS, in build directories of their own.
SAN_BUILD    ?= $(BUILD)-san
FUZZ_BUILD   ?= $(BUILD)-fuzz
FUZZ_SECONDS ?= 10

.PHONY: all setup build run test test-san test-fuzz test-hw test-hosted clean

all: build

setup:
	@sh scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Boot the kernel with the default program and show what the boot cost.
run: build
	sh scripts/kvm-or-nested.sh $(BUILD)/exo run --stats hello

test: build
	cd $(BUILD) && ctest --output-on-failure --verbose
	@$(MAKE) --no-print-directory test-san test-fuzz

# The hosted platform's suites (hosted/: no KVM needed, any Linux): its own
# tests, then the scenario and slice suites on it (CTest's hosted), then the
# same on the ptrace platform (CTest's ptrace).
test-hosted: build
	sh scripts/hosted-tests.sh $(BUILD)
	sh scripts/hosted-tests.sh $(BUILD) ptrace

test-san: setup
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXO_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j$(JOBS) --target test_unit exo-kernel
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(SAN_BUILD)/tests/test_unit

test-fuzz: setup
	sh scripts/fuzz.sh --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS)

# The whole suite on hardware KVM semantics (AMD SVM under QEMU's TCG), even
# where this host's /dev/kvm works.
test-hw:
	@EXO_NESTED=always sh scripts/setup.sh
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && EXO_NESTED=always ctest --output-on-failure --verbose

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
