"""`sheetnet exercise`: the student's starting workbook (data, labels, parameters, empty formula cells)."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_OK, PARAM_CHOICES, check_output_path


def register(sub) -> None:
    p = sub.add_parser("exercise", help="write the student's starting workbook: data, labels, initial parameters")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    p.add_argument("--params", choices=PARAM_CHOICES, default="initial", help="the starting parameters (default initial)")
    p.add_argument("--kind", choices=("chapter3", "backprop", "cnn", "cnn-backprop"), default="chapter3",
                   help="chapter3: the chapter-3 workbook (default); backprop: the chapter-4 workbook (one block "
                        "per iteration, starting from backprop_initial); cnn: the chapter-5 CNN workbook; "
                        "cnn-backprop: the CNN trained by backpropagation, one block per iteration")
    p.add_argument("--iterations", type=int, default=None, metavar="N",
                   help="backprop and cnn-backprop only: how many iteration blocks the learning sheet holds "
                        "(default 50; cnn-backprop 10)")
    p.set_defaults(run=run, subject="output")


def run(args) -> int:
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    if args.kind == "backprop":
        return run_backprop(args)
    if args.kind == "cnn-backprop":
        return run_cnn_backprop(args)
    if args.iterations is not None:
        from sheetnet.errors import UnusableInput

        raise UnusableInput("--iterations belongs to --kind backprop or cnn-backprop")
    if args.kind == "cnn":
        return run_cnn(args)
    check_output_path(args.output)
    write_book_workbook(args.output, chapter3_params(args.params), exercise=True)
    print(f"wrote {args.output} (exercise, parameters: {args.params}): "
          f"the learning sheet's formula cells are empty (light blue) for the student to fill")
    return EXIT_OK


def run_cnn(args) -> int:
    from sheetnet.commands.answer import cnn_params
    from sheetnet.mirror.cnn import write_cnn_workbook

    name, net = cnn_params(args.params)
    check_output_path(args.output)
    ev = write_cnn_workbook(args.output, net, exercise=True)
    print(f"wrote {args.output} (exercise cnn, parameters: {name}): the learning sheet's formula cells are empty "
          f"(light blue) for the student to fill; with these parameters C_T = {ev.C_T:.12g} · "
          f"{int(ev.right.sum())}/{len(ev.C)} right")
    return EXIT_OK


def run_backprop(args) -> int:
    from sheetnet.mirror import backprop as m

    # "initial" is the default: the chapter's own start
    return _run_iterated(args, "backprop", m.write_backprop_workbook, m.ITERATIONS, m.MAX_ITERATIONS,
                         ("initial", "backprop_initial"), "backprop_initial")


def run_cnn_backprop(args) -> int:
    from sheetnet.mirror import cnn_backprop as m

    return _run_iterated(args, "cnn-backprop", m.write_cnn_backprop_workbook, m.ITERATIONS, m.MAX_ITERATIONS,
                         ("initial",), "the book's initial values")


def _run_iterated(args, kind: str, write, default: int, most: int, params: tuple[str, ...], start: str) -> int:
    """An iterated workbook's exercise, written by `write(path, iterations=…, exercise=True)`."""
    from sheetnet.commands.common import iteration_count
    from sheetnet.errors import UnusableInput

    if args.params not in params:
        raise UnusableInput(f"--params {args.params}: the {kind} exercise starts from {start}")
    iterations = iteration_count(args.iterations, default, most)
    check_output_path(args.output)
    run = write(args.output, iterations=iterations, exercise=True)
    print(f"wrote {args.output} (exercise {kind}, η = {run.eta:g}, {run.iterations} iteration blocks): "
          f"iteration 1's parameters are typed; every formula cell is empty (light blue): fill iteration 1's "
          f"block and copy it down")
    return EXIT_OK
