"""`sheetnet train`: train from the workbook's own parameters and write the result back into its cells."""

from __future__ import annotations

import math
from pathlib import Path

from sheetnet import progress
from sheetnet.commands.common import EXIT_OK, KIND_CHOICES, check_output_path, kind_of
from sheetnet.errors import BadOption, UnusableInput
from sheetnet.i18n import N_, _, ngettext

# Root causes that are not wrong formulas: the formulas are the book's, only their saved values are old
# or missing — training writes the values those formulas give anyway.
_VALUES_ONLY = frozenset(("stale", "no_value"))

MAX_ITERATIONS = 100_000  # gd on the book's workbook: about 10 s; beyond that a typo, not a wish


def register(sub) -> None:
    p = sub.add_parser(
        "train", help=_("train the network from the workbook's parameters and write them back"),
        description=_("Train from the workbook's own data and parameters and write the trained parameters "
                      "into the same cells of a copy, with the new cached value of every cell that depends on "
                      "them; the rest of the file stays as it was."),
        epilog=_("examples:\n"
                 "  sheetnet train my.xlsx -o my-trained.xlsx\n"
                 "  sheetnet train my.xlsx -o my-gd.xlsx --method gd --eta 0.2 --iterations 50\n"
                 "  sheetnet train \"C:\\Users\\李\\Documents\\my book.xlsx\" --in-place"))
    p.add_argument("file", type=Path, metavar="FILE", help=_("the workbook (.xlsx)"))
    p.add_argument("-o", "--output", type=Path, help=_("the trained copy to write"))
    p.add_argument("--in-place", action="store_true", help=_("write the trained parameters into FILE itself"))
    p.add_argument("--method", choices=("solver", "gd"), default="solver",
                   help=_("solver: least squares like Excel's Solver (default); gd: the book's gradient descent"))
    etas, updates = _gd_defaults()
    p.add_argument("--eta", type=float, help=_("learning rate η for gd (default: the kind's, {etas})").format(etas=etas))
    p.add_argument("--iterations", type=int,
                   help=_("gd: updates (default: the kind's, {updates}); solver: at most this many "
                          "(default 100; cnn also stops at C_T 0.01; regression's least squares is exact)").format(
                       updates=updates))
    p.add_argument("--kind", choices=KIND_CHOICES, default="auto",
                   help=_("the kind of workbook (default auto: found from its sheets)"))
    p.add_argument("--force", action="store_true",
                   help=_("train even when `sheetnet check` finds wrong formulas: their cells and everything "
                          "downstream get the values those formulas give with the trained parameters (calculated "
                          "by sheetnet); a cell they give no value is recalculated when the workbook is opened"))
    p.set_defaults(run=run, subject="file")


def _gd_defaults() -> tuple[str, str]:
    """'chapter3 0.2, cnn 0.2, regression 1e-05' and 'chapter3 50, …': each trainable kind's own defaults
    (its Training's in mirror/kinds.py; read here from the engine's constants, so that --help and every other
    command's start-up do not load the kinds, their layouts and NumPy)."""
    from sheetnet.engine import defaults as d

    trained = (("chapter3", d.GD_ETA, d.GD_ITERATIONS), ("cnn", d.CNN_GD_ETA, d.CNN_GD_ITERATIONS),
               ("regression", d.REGRESSION_GD_ETA, d.REGRESSION_GD_ITERATIONS))
    return (", ".join(f"{name} {eta:g}" for name, eta, _n in trained),
            ", ".join(f"{name} {n}" for name, _eta, n in trained))


def run(args) -> int:
    from contextlib import nullcontext

    from sheetnet.mirror.train import train_workbook
    from sheetnet.outputs import updating

    output = _output(args)
    if args.iterations is not None and not 0 <= args.iterations <= MAX_ITERATIONS:
        raise BadOption(_("--iterations {k}: choose 0…{most}").format(k=args.iterations, most=MAX_ITERATIONS))
    if args.eta is not None and not (math.isfinite(args.eta) and args.eta > 0):
        raise BadOption(_("--eta must be a positive number"))
    kind = kind_of(args.kind, args.file)
    leave, loaded = _checked(args, kind)
    with progress.stage(_("training ({method})").format(method=args.method), unit=_("iterations")) as step:
        def shown(k: int, cost: float) -> None:
            step.note(_("cost {value:.6g}").format(value=cost))  # C_T, or the kind's own (E …)
            step.advance()

        with updating(args.file) if args.in_place else nullcontext():
            result = train_workbook(args.file, output, method=args.method, eta=args.eta, iterations=args.iterations,
                                    callback=shown, kind=kind, leave=leave, loaded=loaded)
    before, after = result.before, result.after  # the kind's cost (C_T, E …) and, for a classifier, images right
    cost = result.loaded.layout.shown
    print(_("{cost} before: {value}").format(cost=cost(before.cost), value=before.brief()))
    print(_("{cost} after:  {value} — {method}, {iterations}, {seconds:.3f} s, {why}").format(
        cost=cost(after.cost), value=after.brief(), method=result.method,
        iterations=ngettext("{n} iteration", "{n} iterations", result.iterations).format(n=result.iterations),
        seconds=result.seconds, why=_stopped(result)))
    print(ngettext("wrote {path}: {n} cell updated (the parameters and the cached values that depend on them)",
                   "wrote {path}: {n} cells updated (the parameters and the cached values that depend on them)",
                   result.cells_written).format(path=output, n=result.cells_written))
    if note := result.loaded.alignment.note("trained"):
        print(_("note: {note}").format(note=note))
    if leave:
        print(_("note: --force: the wrong formulas stay as they are; their cells and the cells downstream hold what "
                "those formulas give with the trained parameters ({quantities})").format(quantities=", ".join(sorted(leave))))
    if result.cells_left:
        why = (_("--force: their formulas are wrong, or read cells that are") if leave else
               _("their formulas differ from the book's"))
        print(_("note: {n} formula cells have no saved value now ({why}): the workbook recalculates them when it "
                "is opened (Excel recalculates everything; LibreOffice calculates the cells without a value)").format(
            n=result.cells_left, why=why))
    return EXIT_OK


# Why the engine stopped, in its words (sheetnet.engine.training): shown translated.
STOPPED = (N_("iteration limit (max_nfev) reached"), N_("gradient small enough (gtol)"),
           N_("cost no longer decreasing (ftol)"), N_("parameters no longer changing (xtol)"),
           N_("cost and parameters no longer changing (ftol and xtol)"), N_("max_iterations = 0"),
           N_("least squares: the normal equations solved exactly"))
# … and where its reason carries a figure: the engine's template (sheetnet.engine.training), translated, filled in
STOPPED_WITH = (N_("target C_T ≤ {target} already met at the start"), N_("target C_T ≤ {target} reached"),
                N_("max_iterations = {n} reached"))


def _stopped(result) -> str:
    """Why the training stopped, in the reader's language where sheetnet knows the reason."""
    if result.why is not None and result.why[0] in STOPPED_WITH:
        template, values = result.why
        return _(template).format(**values)
    return _(result.stopped_because) if result.stopped_because in STOPPED else result.stopped_because


def _checked(args, kind) -> tuple[frozenset[str], object]:
    """`sheetnet check` first: its root causes refuse the training (one line, the check's headline), or
    with --force say which quantities get no saved value. (the quantities to leave, the loaded workbook)"""
    from sheetnet.check.checker import check

    if kind.training is None:
        return frozenset(), None  # train_workbook says why it does not train this kind
    try:
        result = check(args.file, kind=kind)
    except UnusableInput:
        return frozenset(), None  # nothing to grade (no learning sheet …): train_workbook says what is wrong
    wrong = [r for r in result.root_causes if r.diagnosis.code not in _VALUES_ONLY]
    if not wrong:
        return frozenset(), result.loaded
    if not args.force:
        from sheetnet.check.report import headline  # the report's wording, needed only to refuse

        raise UnusableInput(ngettext(
            "{n} root cause in its formulas ({first}): run `sheetnet check {file}` first, or train anyway with --force",
            "{n} root causes in its formulas ({first}, …): run `sheetnet check {file}` first, or train anyway with "
            "--force", len(wrong)).format(n=len(wrong), first=headline(wrong[0]), file=args.file))
    return frozenset(r.quantity for r in wrong), result.loaded


def _output(args) -> Path:
    from sheetnet.outputs import same_file
    from sheetnet.xlsx.patch import refuse_other_extension

    if args.in_place:
        if args.output and not same_file(args.output, args.file):
            raise BadOption(_("give either -o OUT or --in-place, not both"))
        if args.file.is_file():  # read-only, an unwritable folder: refused before training (else the reader speaks)
            check_output_path(args.file)
        return args.file
    if args.output is None:
        raise BadOption(_("say where to write the trained workbook: -o OUT (or --in-place)"))
    if same_file(args.output, args.file):  # through another spelling, a symbolic link or a hard link
        raise BadOption(_("-o {path}: is the input itself: use --in-place to overwrite it").format(path=args.output))
    check_output_path(args.output)
    refuse_other_extension(args.file, args.output, "-o")
    return args.output
