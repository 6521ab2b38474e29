"""The command line itself: --version, every command's help, usage errors in one line."""

from __future__ import annotations

import pytest

import sheetnet
from sheetnet.cli import main
from sheetnet.commands import NAMES


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"sheetnet {sheetnet.__version__}\n"


@pytest.mark.parametrize("command", NAMES)
def test_every_command_has_a_description_and_examples(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    usage, description, *_ = out.split("\n\n")
    assert usage.startswith(f"usage: sheetnet {command} ")
    assert len(description.split()) >= 10  # a sentence or two, not the one-line summary alone
    examples = out.split("examples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith(f"  sheetnet {command} ") for line in examples if line.strip())


def test_the_top_level_help_lists_the_commands_and_examples(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"    {name}" in out for name in NAMES) and "--version" in out and "examples:" in out


@pytest.mark.parametrize("argv, line", [
    (["check", "a.xlsx", "--foo"],
     "sheetnet: check: unrecognized arguments: --foo (see sheetnet check --help)"),
    (["--foo", "check", "a.xlsx"], "sheetnet: unrecognized arguments: --foo (see sheetnet --help)"),
    (["check"], "sheetnet: check: the following arguments are required: FILE (see sheetnet check --help)"),
    ([], "sheetnet: the following arguments are required: COMMAND (see sheetnet --help)"),
    (["chek", "a.xlsx"], "sheetnet: argument COMMAND: invalid choice: 'chek' (choose from 'answer', 'exercise', "
                         "'recompute', 'train', 'check') (see sheetnet --help)"),
    (["answer", "--kind", "cnn2", "-o", "a.xlsx"],
     "sheetnet: answer: argument --kind: invalid choice: 'cnn2' (choose from 'chapter3', 'backprop', 'cnn', "
     "'cnn-backprop', 'regression', 'descent') (see sheetnet answer --help)"),
    (["train", "a.xlsx", "--eta", "fast"],
     "sheetnet: train: argument --eta: invalid float value: 'fast' (see sheetnet train --help)"),
    (["recompute", "a.xlsx", "b.xlsx"],
     "sheetnet: recompute: unrecognized arguments: b.xlsx (see sheetnet recompute --help)"),
    (["exercise"], "sheetnet: exercise: the following arguments are required: -o/--output "
                   "(see sheetnet exercise --help)"),
])
def test_a_usage_error_is_one_line_naming_the_command_and_exit_2(argv, line, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == line + "\n"
