from snakemake.utils import min_version

min_version("9.0")


configfile: f"{workflow.basedir}/config/config.yaml"


include: "rules/common.smk"
include: "rules/extract.smk"
include: "rules/synthesize.smk"
include: "rules/assemble.smk"
include: "rules/qa.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        all_outputs,
        report_pages,
