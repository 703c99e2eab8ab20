# Set-up is part of every target: a fresh machine needs only `make demo` or `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-vgg16 test test-python test-swift install pose-models clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The demo runs the body-pose path: BlazePose (fetched once from PyPI by pose-models) finds the
# joints, a small head learns the exercises from them, which is what works in a gym the model has
# never seen (README, "Real footage"); --motion-window auto (how long the motion features remember)
# and --tune-smoothing (the state machine's thresholds) are chosen on training gyms held out in
# turn. Pose heads are a few kB, so there is no int8 export.
demo: $(STAMP) pose-models demo_data/manifest.csv
	$(BIN)/gymnos-edge manifest check demo_data/manifest.csv
	$(BIN)/gymnos-edge train demo_data/manifest.csv --backbone pose --motion-window auto --tune-smoothing --out runs/demo --force
	$(BIN)/gymnos-edge predict demo_data/videos/gym_c_01.mp4 --model runs/demo --out runs/demo/predict
	$(BIN)/gymnos-edge export runs/demo --tflite --quantize fp32 --quantize fp16 --quantize dynamic --coreml --force
	$(BIN)/gymnos-edge bench export/demo --threads 1,2 --runs 10

# The image path on the same data: VGG16 features of the whole frame. Offline there are no ImageNet
# weights, so it trains on a random backbone (--weights none) at 128×128 to stay quick on a laptop
# CPU; with internet drop both flags for ImageNet VGG16 at 224×224.
demo-vgg16: $(STAMP) demo_data/manifest.csv
	$(BIN)/gymnos-edge train demo_data/manifest.csv --weights none --image-size 128 --out runs/demo-vgg16 --force
	$(BIN)/gymnos-edge predict demo_data/videos/gym_c_01.mp4 --model runs/demo-vgg16 --out runs/demo-vgg16/predict
	$(BIN)/gymnos-edge export runs/demo-vgg16 --tflite --quantize fp32 --quantize fp16 --quantize dynamic --quantize int8 --coreml --force
	$(BIN)/gymnos-edge bench export/demo-vgg16 --threads 1,2 --runs 10

# Written once: rewriting identical videos would change their mtime and miss the feature cache.
demo_data/manifest.csv: | $(STAMP)
	$(BIN)/gymnos-edge demo-data demo_data

# Swift checks first, so the chroot exists when pytest runs the Swift vector test.
test: test-swift
	$(MAKE) --no-print-directory test-python

# Swift checks of the iPhone demo (ios_demo/README.md). Needs root; the first run installs a
# Debian trixie Swift chroot (~1–2.5 min, ~2.6 GB) at /var/cache/gymnos-edge/swift-trixie.
test-swift:
	bash ios_demo/tools/check.sh

# The BlazePose model files, fetched once from the mediapipe wheel on PyPI (docs/pose.md), so the
# pose tests run the real estimator; a failed download fails here, not as skipped tests.
pose-models: $(STAMP)
	$(BIN)/python -m gymnos_edge.features.pose_models

test-python: $(STAMP) pose-models
	$(BIN)/ruff check gymnos_edge tests benchmarks scripts
	$(BIN)/pytest

clean:
	rm -rf demo_data runs export/*/ .pytest_cache
