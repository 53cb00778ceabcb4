"""The built wheel, installed in a fresh venv, runs every command of the README tour.

Every run builds the wheel (hatchling, no build isolation, no network) and installs it with
``--no-deps`` in a fresh venv whose dependencies come from the running environment's
site-packages (a ``.pth`` line: that directory's own ``.pth`` files, such as the editable
install of this checkout, are not processed, so only the wheel provides ``tradeguard``).  With
``TRADEGUARD_WHEEL_TEST=full`` the venv instead installs the wheel's dependencies from the
package index, as a user's ``pip install`` does (minutes; skipped with the reason when there is
no index).  The commands are read from the README's ```sh
blocks, so the README and the test cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

# One worker builds the wheel and its venv once for all the tests here (the fixture is per
# worker, and per session: a module fixture is rebuilt when other modules' tests run between).
pytestmark = pytest.mark.xdist_group("wheel")

ROOT = Path(__file__).parents[2]
OPT_IN = "TRADEGUARD_WHEEL_TEST"
# The design lab's Monte Carlo is shortened: the tour shows the commands, not 2,000 paths.
SHORT_SIMULATION = ["--paths", "4", "--years", "1"]

FULL_INSTALL = os.environ.get(OPT_IN) == "full"


def tour_commands(readme: str) -> list[list[str]]:
    """Each `.venv/bin/tradeguard ...` line of the README's sh blocks, as arguments."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split("  #")[0].split(" # ")[0].strip()
            if line.startswith(".venv/bin/tradeguard "):
                commands.append(shlex.split(line.removeprefix(".venv/bin/tradeguard ")))
    return commands


def test_the_readme_tour_is_read_whole():
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    firsts = [c[0] for c in commands]
    assert {"rules", "lines", "duty", "ingest", "status", "timeline", "alerts", "formula",
            "design"} <= set(firsts)
    assert ["design", "compare", "beef-japan-opening", "beef-us-opening",
            "jaepa-frozen-quarterly-100", "--out", "out/"] in commands


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="session")
def venv_bin(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    pytest.importorskip("hatchling", reason="hatchling builds the wheel (a dev dependency)")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "-w", str(folder / "dist"), str(ROOT)])
    if built.returncode != 0:
        pytest.skip(f"the wheel could not be built here (hatchling unreachable?): "
                    f"{built.stderr.strip().splitlines()[-1:]}")
    wheel = next((folder / "dist").glob("tradeguard-*.whl"))
    # No pip inside the venv (ensurepip alone is 7 CPU-s): this pip installs into it.
    _run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")]).check_returncode()
    bin_dir = folder / "venv" / "bin"
    if not FULL_INSTALL:  # the dependencies as installed here, never this checkout's source
        site = next((folder / "venv" / "lib").glob("python3*/site-packages"))
        deps = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
        (site / "tradeguard-test-deps.pth").write_text(deps + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"),
                      "install", "-q", "--disable-pip-version-check",
                      *([] if FULL_INSTALL else ["--no-deps", "--no-index"]), str(wheel)])
    if installed.returncode != 0:
        pytest.skip(f"the wheel's dependencies could not be installed (no package index?): "
                    f"{installed.stderr.strip().splitlines()[-1:]}")
    return bin_dir


def _clean_env(store: Path) -> dict[str, str]:
    """No PYTHONPATH: the venv must run the installed wheel, never this checkout's source."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "TRADEGUARD_STORE": str(store)}


# The tour runs in one process of the installed venv, through the installed package's CLI
# app: thirty fresh interpreters would spend most of the test importing the same modules.
# The console script itself is run by the test below.
TOUR_DRIVER = """
import json, sys
from typer.testing import CliRunner
from tradeguard.cli import app
failed = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, args, prog_name="tradeguard")
    if result.exit_code != 0:
        failed.append([args, result.exit_code, result.output[-400:]])
print(json.dumps(failed))
"""


@pytest.mark.slow
def test_the_installed_wheel_runs_the_readme_tour(venv_bin, tmp_path):
    env = _clean_env(tmp_path / "store.duckdb")
    commands = [args + (SHORT_SIMULATION if args[0] == "design" else [])
                for args in tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))]
    done = _run([str(venv_bin / "python"), "-c", TOUR_DRIVER, json.dumps(commands)],
                cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert (tmp_path / "charts" / "cptpp.beef_safeguard-FY2019.svg").is_file()
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.slow
def test_the_installed_wheel_answers_from_its_own_files(venv_bin, tmp_path):
    env = _clean_env(tmp_path / "store.duckdb")
    version = _run([str(venv_bin / "tradeguard"), "--version"], cwd=tmp_path, env=env)
    import tradeguard

    assert version.stdout == f"tradeguard {tradeguard.__version__}\n"
    answer = _run([str(venv_bin / "tradeguard"), "duty", "--line", "0202.30", "--origin", "US",
                   "--date", "2021-03-20", "--value", "1000000", "--quantity", "1000", "--json"],
                  cwd=tmp_path, env=env)
    assert json.loads(answer.stdout)["payable"]["total"] == "495700"
    where = _run([str(venv_bin / "python"), "-c",
                  "import tradeguard as tg; print(tg.__file__); print(tg.lines('frozen beef')"
                  ".rows[0]['code'])"], cwd=tmp_path, env=env)
    path, code = where.stdout.split()
    assert Path(path).is_relative_to(venv_bin.parent) and code == "0202"


@pytest.mark.slow
def test_the_installed_wheel_ships_the_desks_chart_scripts(venv_bin, tmp_path):
    listed = _run([str(venv_bin / "python"), "-c",
                   "from tradeguard.web.assets import static_files; "
                   "print(' '.join(static_files()))"],
                  cwd=tmp_path, env=_clean_env(tmp_path / "store.duckdb"))
    assert set(listed.stdout.split()) == {
        "charts.js", "vendor/vega.min.js", "vendor/vega-lite.min.js",
        "vendor/vega-embed.min.js", "vendor/vega-interpreter.min.js"}
