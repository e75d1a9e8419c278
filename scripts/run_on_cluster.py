#!/usr/bin/env python3
"""Run snakebook through a cluster profile after checking it can work here (see snakebook.cluster).

.venv/bin/python scripts/run_on_cluster.py profiles/slurm [snakemake options...]
"""

import sys

from snakebook.cluster import main  # the installed package (make setup: pip install -e .)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
