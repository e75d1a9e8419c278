"""snakebook: turn ebooks into chaptered, tagged audiobooks.

The package holds all the logic; the rule scripts in ``scripts/`` only read
``snakemake.input/output/params`` and call into it.
"""

__version__ = "0.1.0"
