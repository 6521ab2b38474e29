"""What several commands share: exit codes, output-path checks, parameter-set choices."""

from __future__ import annotations

from pathlib import Path

from sheetnet.errors import BadOption, UnusableInput
from sheetnet.i18n import _
from sheetnet.mirror.authoring import NAMES

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def check_output_path(path: Path) -> None:
    """Refuse, before any work, an output we could not or should not write."""
    from sheetnet import outputs

    outputs.check(path)


def path_argument(text: str) -> Path:
    """A file argument; '' is refused (it would be Path('.'): check would grade the current folder)."""
    import argparse

    if not text:
        raise argparse.ArgumentTypeError(_("an empty file name"))
    return Path(text)


def tolerance(rel: float, abs_: float):
    """--rel and --abs → a Tolerance; NaN, infinity and negative numbers are refused."""
    import math

    from sheetnet.mirror.compare import Tolerance

    if not all(math.isfinite(v) and v >= 0 for v in (rel, abs_)):
        raise BadOption(_("--rel and --abs must be numbers 0 or more"))
    return Tolerance(rel=rel, abs=abs_)


KIND_CHOICES = ("auto", *NAMES)  # every kind sheetnet writes, it reads


def kind_of(name: str, path: Path | None = None, *, detect: bool = True):
    """--kind → a Kind: 'auto' finds it from the workbook's sheets (detect=False: None, for a command
    that finds it while reading the workbook anyway, so the file is read once)."""
    from sheetnet.mirror import kinds

    if name == "auto":
        return kinds.detect(path) if detect else None
    if name not in kinds.NAMES:
        raise BadOption(_("--kind {name}: not available yet (known: {kinds})").format(
            name=name, kinds=", ".join(kinds.NAMES)))
    return kinds.by_name(name)
