"""Shell entry of the rule scripts: ``python scripts/job.py RULE --input.NAME PATH ...`` (see snakebook.job)."""

import sys
from pathlib import Path

from snakebook.job import run_rule_script

run_rule_script(Path(__file__).parent, sys.argv[1:])
