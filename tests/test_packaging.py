"""Packaging: the installed package, the requirement sets, the conda env, and the imports they must cover."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

ENVS = ROOT / "envs"
# Third-party modules that only the optional installs provide: module -> (requirement file, distribution declared
# there; None for one that comes with another of that file's pins).
OPTIONAL = {
    "TTS": ("coqui.txt", "coqui-tts"),
    "torch": ("coqui.txt", "torch"),
    "torchaudio": ("coqui.txt", "torchaudio"),
    "torchcodec": ("coqui.txt", "torchcodec"),
    "transformers": ("coqui.txt", "transformers"),
    "tokenizers": ("coqui.txt", None),  # tests/tiny_models.py; a dependency of transformers
    "snakemake_executor_plugin_slurm": ("slurm.txt", "snakemake-executor-plugin-slurm"),
    "snakemake_executor_plugin_slurm_jobstep": ("slurm.txt", "snakemake-executor-plugin-slurm-jobstep"),
    "snakemake_executor_plugin_cluster_generic": ("slurm.txt", "snakemake-executor-plugin-cluster-generic"),
}
# The package, and the modules of tests/ itself (helpers, tiny_models, conftest, ...).
FIRST_PARTY = {"snakebook"} | {path.stem for path in (ROOT / "tests").rglob("*.py")}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def pins(lines: list[str]) -> dict[str, str]:
    """{canonical name: version} of ``name==version`` lines; anything else is an error."""
    found = {}
    for line in lines:
        name, sep, version = line.partition("==")
        assert sep and version and not re.search(r"[<>=!~,;\s]", version), f"not an exact pin: {line!r}"
        found[canonical(name)] = version
    return found


RUNTIME = pins(requirement_lines(ENVS / "requirements.txt"))
DEV = pins(requirement_lines(ENVS / "dev.txt"))


def test_runtime_and_development_sets_are_pinned_and_apart():
    assert RUNTIME and DEV
    assert not set(RUNTIME) & set(DEV), "a package is in both envs/requirements.txt and envs/dev.txt"
    for tool in ("pytest", "pytest-timeout", "hypothesis", "psutil", "ruff", "snakefmt"):
        assert tool in DEV and tool not in RUNTIME
    assert "pydub" not in RUNTIME  # holds whole files in memory; nothing uses it


def test_conda_env_is_self_contained_and_lists_the_runtime_pins():
    env = yaml.safe_load((ENVS / "base.yaml").read_text())
    deps = env["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1
    pip_lines = pip_sections[0]
    assert not [line for line in pip_lines if line.startswith("-")], "pip options (-r, -e) do not travel with the env"
    assert pins(pip_lines) == RUNTIME
    conda = [d for d in deps if isinstance(d, str)]
    assert "python=3.11" in conda
    for tool in ("ffmpeg", "espeak-ng"):
        assert [d for d in conda if re.fullmatch(rf"{tool}=[\d.]+", d)], f"{tool} is not pinned in base.yaml"


def test_every_rule_uses_the_one_conda_env():
    for rules in sorted((ROOT / "rules").glob("*.smk")):
        envs = re.findall(r"conda:\s*\n\s*\"([^\"]+)\"", rules.read_text())
        assert all(env == "../envs/base.yaml" for env in envs), (rules.name, envs)


def test_installed_package_is_this_tree_with_the_runtime_set():
    """`make setup` installs the package (editable): imports work from anywhere, with no sys.path edits."""
    out = subprocess.run(
        [sys.executable, "-c", "import snakebook; print(snakebook.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.splitlines()[-1]
    assert Path(out).resolve() == ROOT / "scripts" / "snakebook" / "__init__.py"
    declared = importlib.metadata.requires("snakebook") or []
    runtime = pins([r for r in declared if ";" not in r])
    assert runtime == RUNTIME, "the installed snakebook is out of date with envs/requirements.txt: run `make setup`"


def test_no_sys_path_edits_for_the_package_and_no_noqa_in_rule_scripts():
    places = [ROOT / "rules" / "common.smk", ROOT / "Makefile", *sorted((ROOT / "scripts").glob("*.py"))]
    places += [path for path in sorted((ROOT / "tests").glob("*.py")) if path.name != "test_packaging.py"]
    for path in places:
        text = path.read_text()
        assert "sys.path.insert" not in text and "PYTHONPATH" not in text, path
    for script in sorted((ROOT / "scripts").glob("*.py")):  # `snakemake` is a known name (ruff.toml builtins)
        assert "# noqa" not in script.read_text(), script


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def third_party(paths: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        for module in imported_modules(path) - FIRST_PARTY - set(sys.stdlib_module_names):
            found.setdefault(module, []).append(str(path.relative_to(ROOT)))
    return found


def undeclared(paths: list[Path], allowed: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for module, where in sorted(third_party(paths).items()):
        if module in OPTIONAL:
            file, distribution = OPTIONAL[module]
            declared = {canonical(line.split("==")[0]) for line in requirement_lines(ENVS / file)}
            if distribution is not None and distribution not in declared:
                problems.append(f"{module} ({distribution} is not in envs/{file})")
            continue
        names = {canonical(d) for d in distributions.get(module, [])}
        if not names & allowed:
            problems.append(
                f"{module} (from {', '.join(names) or 'no installed distribution'}), imported by {where[0]}"
            )
    return problems


def test_every_package_import_is_a_declared_runtime_requirement():
    paths = [*sorted((ROOT / "scripts").rglob("*.py"))]
    assert not undeclared(paths, set(RUNTIME)), "add them to envs/requirements.txt and envs/base.yaml"


def test_every_test_import_is_declared():
    paths = [*sorted((ROOT / "tests").rglob("*.py"))]
    assert not undeclared(paths, set(RUNTIME) | set(DEV)), "add test tools to envs/dev.txt"


def test_a_missing_text_library_is_a_clear_error_not_a_silent_fallback():
    code = (
        "import sys\n"
        "sys.modules['num2words'] = None\n"  # as if num2words were not installed
        "from snakebook.errors import SnakebookError\n"
        "from snakebook.synth import prepare_text_function\n"
        "try:\n"
        "    prepare_text_function('en', {}, book_name='moby')\n"
        "except SnakebookError as error:\n"
        "    print('ERROR', error)\n"
        "else:\n"
        "    print('NO ERROR')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "ERROR moby" in out and "num2words" in out and "make setup" in out, out


def test_each_benchmark_file_sits_beside_its_log():
    """snakebook.jobserver.benchmark_of finds a job's benchmark file from its log (to mend it at the run's end)."""
    from snakebook.jobserver import benchmark_of

    text = "\n".join(path.read_text() for path in (ROOT / "rules").glob("*.smk"))
    pairs = re.findall(r'^    log:\n        "([^"]+)",?\n    benchmark:\n        "([^"]+)"', text, re.MULTILINE)
    assert len(pairs) == text.count("    benchmark:\n") >= 5, pairs
    for log, benchmark in pairs:
        assert benchmark_of(log) == benchmark, (log, benchmark)


@pytest.mark.parametrize("rule", ["synthesize_chapter", "encode_chapter", "assemble_audiobook"])
def test_heavy_rules_record_a_benchmark(rule):
    text = "\n".join(path.read_text() for path in (ROOT / "rules").glob("*.smk"))
    body = re.search(rf"^rule {rule}:\n((?:    .*\n|\n)+)", text, re.MULTILINE)
    assert body and re.search(r"^    benchmark:\n        \"results/\{book\}/benchmarks/", body.group(1), re.MULTILINE)
