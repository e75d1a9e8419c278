# snakebook: `make audiobook` (set up + make the sample audiobook), `make test` (set up + all tests).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CORES ?= all

.PHONY: setup system-deps audiobook test lint format coqui slurm browser bench clean cache-stats cache-prune

# The runtime set (envs/requirements.txt), the test and style tools (envs/dev.txt) and the snakebook package
# itself (pyproject.toml; editable, so the rules, the tests and cluster jobs sharing this venv see the working
# tree's code with no sys.path edits).
$(VENV)/.installed: pyproject.toml envs/requirements.txt envs/dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r envs/requirements.txt -r envs/dev.txt -e .
	touch $@

# System tools: ffmpeg (for ffprobe) and espeak-ng from the system's packages when we may install them.
# The pipeline runs the static ffmpeg of the imageio-ffmpeg wheel (in requirements) in any case.
system-deps:
	@if ! command -v ffmpeg >/dev/null || ! command -v espeak-ng >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg espeak-ng >/dev/null) \
	      || echo "warning: could not install ffmpeg/espeak-ng with apt-get;" \
	              "using the ffmpeg from the imageio-ffmpeg wheel"; \
	  else \
	    echo "note: ffmpeg/espeak-ng not found and not root: the pipeline uses imageio-ffmpeg's ffmpeg;" \
	         "install espeak-ng for engine: espeak"; \
	  fi; \
	fi

setup: system-deps $(VENV)/.installed

audiobook: setup
	$(VENV)/bin/snakemake --cores $(CORES)

test: setup
	$(VENV)/bin/python -m pytest

lint: setup
	$(VENV)/bin/ruff check scripts tests
	$(VENV)/bin/ruff format --check scripts tests
	$(VENV)/bin/snakefmt --check Snakefile rules
	$(VENV)/bin/snakemake --lint

format: setup
	$(VENV)/bin/ruff format scripts tests
	$(VENV)/bin/snakefmt Snakefile rules

# Optional Coqui TTS engine (torch, ~7.6 GB, ~2.5 min). The pins satisfy this machine's pip cap
# (/etc/xdg/pip: torch<=2.14.1), so no cap needs lifting; the file doubles as constraints so
# transitive requirements cannot move a pin.
$(VENV)/.coqui-installed: $(VENV)/.installed envs/coqui.txt
	$(PIP) install --quiet -c envs/coqui.txt -r envs/coqui.txt
	$(PY) -c "import TTS, torch, torchaudio, torchcodec; print('coqui-tts', TTS.__version__, 'torch', torch.__version__)"
	touch $@

coqui: system-deps $(VENV)/.coqui-installed

# Cluster extras: Snakemake executor plugins for profiles/slurm and profiles/ssh (docs/cluster.md).
# Not in the base install, which runs everything on this machine. The SLURM client tools (sbatch)
# come from the cluster, not from here.
$(VENV)/.slurm-installed: $(VENV)/.installed envs/slurm.txt
	$(PIP) install --quiet -r envs/slurm.txt
	$(PY) -c "import snakemake_executor_plugin_slurm, snakemake_executor_plugin_cluster_generic"
	# Local runs skip the plugin's import-time `scontrol show config` (~9 s without a controller) and pandas: snakebook/slurm_probe.py
	cp envs/snakebook-slurm-probe.pth "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
	touch $@

slurm: $(VENV)/.slurm-installed

# Chromium for tests/test_report.py (opens the Snakemake report headless, through Playwright from envs/dev.txt).
# Debian's package as root; elsewhere the test skips and says so.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "note: chromium not installed: tests/test_report.py's browser test will skip"

# Benchmarks (minutes; see README "Performance"): one markdown table on stdout, JSON in results/bench/.
# BENCH_ARGS="--quick" for the small configurations only, "--full" adds the Christmas Carol and 3,000 chapters.
bench: setup
	$(PY) tests/bench/bench_all.py $(BENCH_ARGS)

cache-stats: setup
	$(PY) -m snakebook.cache_admin stats --cache results/cache --results results

cache-prune: setup
	$(PY) -m snakebook.cache_admin prune --cache results/cache --results results

clean:
	rm -rf results/*/ .snakemake
