# The front door. `make run` and `make test` set up, build, and go.
BUILD ?= build
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup build run test clean

all: build

setup:
	@sh scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Boot the kernel with the default program and show what the boot cost.
run: build
	$(BUILD)/exo run --stats hello

test: build
	cd $(BUILD) && ctest --output-on-failure --verbose

clean:
	rm -rf $(BUILD)
