"""What a command loads when it starts (issue 14): the command line, --help and the argparse defaults load
no NumPy and no engine; check and recompute load no writer; a kind's engine only for that kind; and the
BLAS is told "one thread" before NumPy loads it. Each command runs in a fresh interpreter (this one has
loaded everything already), which prints the modules it ended up with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Loaded at the end of: ["--help"] → whatever parse() needed; otherwise main(argv) ran the command.
_PROBE = """
import json, sys
from sheetnet import cli
argv = sys.argv[1:]
if argv[0] == "parse":
    cli.parse(argv[1:])
    code = 0
else:
    code = cli.main(argv)
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _loaded(*argv: str, env: dict | None = None) -> tuple[int, set[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    env.pop("OPENBLAS_NUM_THREADS", None)
    out = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, env=env, check=True,
                         cwd=ROOT).stdout
    got = json.loads(out.strip().splitlines()[-1])
    return got["code"], set(got["modules"])


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    from sheetnet.cli import main

    folder = tmp_path_factory.mktemp("startup")
    made = {"chapter3": folder / "ch3.xlsx", "cnn": folder / "cnn.xlsx"}
    assert main(["answer", "-o", str(made["chapter3"])]) == 0
    assert main(["answer", "--kind", "cnn", "-o", str(made["cnn"])]) == 0
    return made


HEAVY = ("numpy", "scipy", "xlsxwriter", "openpyxl", "sheetnet.mirror.kinds", "sheetnet.engine.network")


@pytest.mark.parametrize("argv", [["check", "x.xlsx"], ["recompute", "x.xlsx"], ["train", "x.xlsx", "-o", "y.xlsx"],
                                  ["answer", "-o", "y.xlsx"], ["exercise", "-o", "y.xlsx"]])
def test_parsing_a_command_line_loads_no_numpy_no_engine_no_writer(argv):
    _code, modules = _loaded("parse", *argv)
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_help_loads_no_numpy(capfd):
    code, modules = _loaded("--help")
    assert code == 0
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("command", ["check", "recompute"])
def test_check_and_recompute_load_no_writer_and_only_their_kinds_engine(command, workbooks):
    code, modules = _loaded(command, str(workbooks["chapter3"]))
    assert code == 0
    unneeded = {"xlsxwriter", "openpyxl", "scipy", "sheetnet.xlsx.writer", "sheetnet.engine.cnn",
                "sheetnet.engine.cnn_training", "sheetnet.engine.training"}
    if _numpy_names_its_blas():  # NumPy < 1.26 cannot say it is OpenBLAS: blas.one_thread asks threadpoolctl
        unneeded.add("threadpoolctl")
    assert modules.isdisjoint(unneeded), sorted(modules & unneeded)
    assert "sheetnet.engine.network" in modules  # the probe sees what was loaded: chapter 3's engine was
    code, modules = _loaded(command, str(workbooks["cnn"]))
    assert code == 0
    assert "sheetnet.engine.cnn" in modules and modules.isdisjoint({"xlsxwriter", "openpyxl", "scipy"})
    # the kind is found by its learning sheet's name: the other kinds' layouts are not built for it, and
    # the CNN's mirror does not go through chapter 3's
    other_kinds = {"sheetnet.layout.chapter3", "sheetnet.layout.backprop", "sheetnet.mirror.chapter3"}
    assert modules.isdisjoint(other_kinds), sorted(modules & other_kinds)


def _numpy_names_its_blas() -> bool:
    import numpy

    from sheetnet import blas

    return blas._has_openblas(numpy)


@pytest.mark.parametrize("kind", ["chapter3", "cnn"])
def test_train_by_the_solver_loads_no_scipy(kind, workbooks, tmp_path):
    # issue 17: importing scipy.optimize alone took ~0.5 s of CPU; sheetnet's own trust region replaces it
    code, modules = _loaded("train", str(workbooks[kind]), "-o", str(tmp_path / "trained.xlsx"), "--method", "solver")
    assert code == 0
    assert "sheetnet.engine.trust_region" in modules and not any(m.split(".")[0] == "scipy" for m in modules)


def test_train_help_gives_each_trainable_kinds_own_gradient_descent_defaults():
    from sheetnet.commands.train import _gd_defaults
    from sheetnet.mirror.kinds import KINDS

    trained = [k for k in KINDS if k.training]
    assert _gd_defaults() == (", ".join(f"{k.name} {k.training.eta:g}" for k in trained),
                              ", ".join(f"{k.name} {k.training.iterations}" for k in trained))


_THREADS = """
import sys
from sheetnet import blas
blas.at_start()
import numpy, scipy.optimize, threadpoolctl
def threads():
    return sorted({p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"})
loaded = threads()
with blas.one_thread():
    within = threads()
print(loaded, within, blas._ONE_FROM_LOAD)
"""


@pytest.mark.parametrize("given, loaded, told", [(None, "[1]", "True"), ("2", "[2]", "False")])
def test_the_blas_loads_with_one_thread_unless_the_user_said_otherwise(given, loaded, told):
    pytest.importorskip("threadpoolctl")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(ROOT)
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    out = subprocess.run([sys.executable, "-c", _THREADS], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == [loaded, "[1]", told]  # within sheetnet's own calls: one thread either way


def test_checking_one_workbook_loads_nothing_of_a_class_check_nor_of_the_outputs_not_asked_for(workbooks, tmp_path):
    # (json: the probe's own)
    unasked = {"sheetnet.check.batch", "sheetnet.check.outputs", "sheetnet.outputs", "csv", "html", "uuid"}
    code, modules = _loaded("check", str(workbooks["chapter3"]))
    assert code == 0
    assert modules.isdisjoint(unasked), sorted(modules & unasked)
    code, modules = _loaded("check", "--csv", str(tmp_path / "rows.csv"), str(workbooks["chapter3"]))
    assert code == 0 and {"sheetnet.check.batch", "csv"} <= modules  # asked for: loaded (the probe sees it)
    assert (tmp_path / "rows.csv").read_text(encoding="utf-8-sig").count("\n") == 2


_COLLECTOR = """
import gc, json, sys
from sheetnet import cli
freezes = []
real_freeze = gc.freeze
gc.freeze = lambda: (freezes.append(gc.isenabled()), real_freeze())[1]
first = cli.main(sys.argv[1:])
after_first = [gc.isenabled(), list(freezes)]
second = cli.main(["--help"])
print(json.dumps([first, second, after_first, gc.isenabled(), freezes]))
"""


@pytest.mark.parametrize("argv", [["--help"], ["check", "--no-such-option"]])
def test_the_first_command_line_of_a_process_freezes_its_start_up_and_turns_the_collector_on_again(argv):
    # the start-up's objects (NumPy's and sheetnet's modules) live as long as the process: they leave the
    # collector's scans once, whether the command ran or failed; a second command line freezes nothing more
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _COLLECTOR, *argv], capture_output=True, text=True, env=env,
                         check=True, cwd=ROOT).stdout
    first, second, after_first, enabled, freezes = json.loads(out.strip().splitlines()[-1])
    assert after_first == [True, [False]]  # frozen once, while the collector was off, and on again after
    assert enabled and freezes == [False] and second == 0


def test_a_process_whose_collector_is_off_keeps_it_off():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = "import gc; gc.disable()\n" + _COLLECTOR
    out = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, env=env,
                         check=True, cwd=ROOT).stdout
    first, second, after_first, enabled, freezes = json.loads(out.strip().splitlines()[-1])
    assert after_first == [False, []] and not enabled and freezes == []


def test_a_command_line_builds_only_its_own_commands_parser():
    others = {"sheetnet.commands.answer", "sheetnet.commands.exercise", "sheetnet.commands.train",
              "sheetnet.commands.recompute"}
    _code, modules = _loaded("parse", "check", "x.xlsx")
    assert "sheetnet.commands.check" in modules and modules.isdisjoint(others), sorted(modules & others)
    _code, modules = _loaded("--help")  # the list of commands: every one
    assert others <= modules
