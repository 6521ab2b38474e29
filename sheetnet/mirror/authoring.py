"""How `sheetnet answer` and `sheetnet exercise` write each kind of workbook: a table, one row a kind.

The commands read only this table: the --kind names, the help, the --params sets each kind takes,
whether it takes --iterations (and how many by default). The writing itself is the kind's own
`author(path, …)` function in its mirror module, imported when the command runs; it checks the
options it reads, writes, and returns the line the command prints. A new kind is a row here and a
module there; sheetnet/commands/ does not change.

Light on purpose (no NumPy, no layouts): the command line builds its options from it on every start.
"""

from __future__ import annotations

import importlib

from sheetnet.errors import BadOption
from sheetnet.i18n import N_, _


class Authoring:
    """One kind's row (a plain class: dataclasses would cost the command line's start-up a few ms)."""

    __slots__ = ("kind", "module", "answer_help", "exercise_help", "answer_params", "exercise_params", "iterations")

    def __init__(self, kind: str, module: str, answer_help: str, exercise_help: str, *,
                 answer_params: tuple[str, ...] = (), exercise_params: tuple[str, ...] = ("initial",),
                 iterations: int = 0):
        self.kind = kind  # the --kind name, as in mirror/kinds.py
        self.module = module  # the mirror module whose author(…) writes it
        self.answer_help = answer_help  # what `answer --kind` writes, for --help
        self.exercise_help = exercise_help  # what `exercise --kind` writes
        self.answer_params = answer_params  # the --params sets its answer takes (the command offers their union)
        self.exercise_params = exercise_params
        self.iterations = iterations  # its default --iterations (blocks or steps); 0: it takes no --iterations

    def author(self):
        """author(path, *, exercise, params, iterations, test_image, ready) → the line to print;
        `ready(path)` is called once the options are known to be right, before anything is written."""
        return importlib.import_module(self.module).author


WORKBOOKS = (
    Authoring("chapter3", "sheetnet.mirror.answer", N_("the answer key above (default)"),
              N_("the chapter-3 workbook (default)"),
              answer_params=("trained", "book", "initial", "backprop_initial"),
              exercise_params=("initial", "book", "backprop_initial")),
    Authoring("backprop", "sheetnet.mirror.backprop",
              N_("the chapter-4 workbook, one block of formulas per gradient-descent iteration from the book's "
                 "chapter-4 starting values"),
              N_("the chapter-4 workbook (one block per iteration, starting from backprop_initial)"),
              exercise_params=("initial", "backprop_initial"), iterations=50),  # the book's chapter-4 experiment
    Authoring("cnn", "sheetnet.mirror.cnn",
              N_("the chapter-5 workbook (Data of appendix B and the CNN's learning sheet)"),
              N_("the chapter-5 CNN workbook"), answer_params=("initial", "trained")),
    Authoring("cnn-backprop", "sheetnet.mirror.cnn_backprop",
              N_("the CNN trained by backpropagation from its initial values, one block per iteration"),
              N_("the CNN trained by backpropagation, one block per iteration"),
              iterations=10),  # 96 images × 290 cells a block: 10 iterations are ≈ 280,000 cells
    Authoring("regression", "sheetnet.mirror.regression",
              N_("chapter 2's regression (section 2-12): seven students' heights and weights, the line "
                 "y = p·x + q and E for Solver (trained: least squares; initial: p = q = 0)"),
              N_("chapter 2's regression: the data, p and q typed, the prediction, e and E to fill"),
              answer_params=("initial", "trained")),
    Authoring("descent", "sheetnet.mirror.descent",
              N_("chapter 2's gradient descent (section 2-11) on z = x² + y² from (3, 2) with η = 0.1, one row per step"),
              N_("chapter 2's gradient descent: the start and η typed, every step's row to fill"),
              iterations=30),
)

NAMES = tuple(w.kind for w in WORKBOOKS)


def by_name(name: str) -> Authoring:
    return next(w for w in WORKBOOKS if w.kind == name)


def iterated() -> tuple[Authoring, ...]:
    return tuple(w for w in WORKBOOKS if w.iterations)


def param_choices(exercise: bool) -> tuple[str, ...]:
    """Every --params set some kind's answer (exercise) takes, in the table's order."""
    return tuple(dict.fromkeys(s for w in WORKBOOKS for s in (w.exercise_params if exercise else w.answer_params)))


def kinds_help(exercise: bool) -> str:
    """'chapter3: …; backprop: …': what each --kind writes."""
    return "; ".join(f"{w.kind}: {_(w.exercise_help if exercise else w.answer_help)}" for w in WORKBOOKS)


def listed(names: list[str], last: str) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def iterations_help(what: str) -> str:
    """--iterations' help: which kinds take it and their defaults ('(default 50; cnn-backprop 10)')."""
    kinds = iterated()
    defaults = "; ".join([str(kinds[0].iterations)] + [f"{w.kind} {w.iterations}" for w in kinds[1:]])
    return _("{kinds} only: {what} (default {defaults})").format(kinds=listed([w.kind for w in kinds], _("and")),
                                                                 what=what, defaults=defaults)


def refuse_iterations(name: str, given: int | None) -> None:
    """--iterations for a kind that has none: one line naming the kinds that do."""
    if given is not None and not by_name(name).iterations:
        raise BadOption(_("--iterations belongs to --kind {kinds}").format(kinds=listed([w.kind for w in iterated()], _("or"))))


def iteration_count(given: int | None, default: int, most: int) -> int:
    """--iterations for an iterated workbook: the writer's default, or a count it can write."""
    iterations = default if given is None else given
    if not 1 <= iterations <= most:
        raise BadOption(_("--iterations {k}: choose 1…{most}").format(k=iterations, most=most))
    return iterations


def refuse_params(given: str | None, allowed: tuple[str, ...], why: str) -> None:
    """--params outside `allowed` (None: none at all): `--params X: <why>`."""
    if given is not None and given not in allowed:
        raise BadOption(_("--params {name}: {why}").format(name=given, why=why))


# -- the lines the iterated workbooks print (chapter 4's and chapter 5's runs read alike) ---------------
def run_line(path, kind: str, run, images: int) -> str:
    """An iterated answer: η, blocks, cells, images right at the last block; then the cost's path over
    the blocks (first, lowest, last, every rise)."""
    from sheetnet.mirror.kinds import by_name
    from sheetnet.report import cost_path_text  # the run is written: NumPy and the layouts are loaded anyway

    return _("wrote {path} ({kind}, η = {eta:g}, {k} iterations, {cells} cells): {right}/{n} right at iteration "
             "{k}, before its update").format(path=path, kind=kind, eta=run.eta, k=run.iterations, cells=run.cells,
                                             right=run.right[-1], n=images) + "\n" + cost_path_text(
                                                 run.C_T, by_name(kind).layout.shown("C_T"))


def iterated_exercise_line(path, kind: str, run) -> str:
    return _("wrote {path} (exercise {kind}, η = {eta:g}, {k} iteration blocks): iteration 1's parameters are typed; "
             "every formula cell is empty (light blue): fill iteration 1's block and copy it down").format(
        path=path, kind=kind, eta=run.eta, k=run.iterations)
