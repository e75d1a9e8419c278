"""Shell entry of the rule scripts: ``python scripts/job.py RULE --input.NAME PATH ...`` (see snakebook.job).

On a local run the job runs in a fork of the job server (snakebook.jobserver); without one, here.
"""

import os
import sys

SCRIPTS = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    if os.environ.get("SNAKEBOOK_JOB_SERVER"):
        from snakebook.jobserver import run_on_server

        status = run_on_server(SCRIPTS, sys.argv[1:])
        if status is not None:
            sys.exit(status)
    if sys.flags.no_site:  # (`python -S`, as the rules run it: site-packages only when the job runs here)
        import site

        site.main()
    from snakebook.job import run_rule_script

    run_rule_script(SCRIPTS, sys.argv[1:])


main()
