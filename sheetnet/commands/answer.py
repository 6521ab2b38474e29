"""`sheetnet answer`: the teacher's answer key from the embedded data, every formula with its value."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_OK, check_output_path, iteration_count

# 'trained' is sheetnet's own Solver run from the book's initial values (sheetnet/data/trained.py)
ANSWER_PARAMS = ("trained", "book", "initial", "backprop_initial")


def register(sub) -> None:
    p = sub.add_parser("answer", help="write the teacher's answer workbook: Data, 学习, 测试 and the chapter-4 run")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    p.add_argument("--params", choices=ANSWER_PARAMS, default=None,
                   help="trained: solved from the book's initial values (default); book: Solver's result stored "
                        "in the book; initial: the book's starting values (cnn: its own sets, default trained "
                        "when there is one, else initial)")
    p.add_argument("--test-image", type=int, default=1, metavar="N",
                   help="the image (1…64) the test sheet 测试 shows (default 1)")
    p.add_argument("--kind", choices=("chapter3", "backprop", "cnn", "cnn-backprop"), default="chapter3",
                   help="chapter3: the answer key above (default); backprop: the chapter-4 workbook, one block "
                        "of formulas per gradient-descent iteration from the book's chapter-4 starting values; "
                        "cnn: the chapter-5 workbook (Data of appendix B and the CNN's learning sheet); "
                        "cnn-backprop: the CNN trained by backpropagation from its initial values, one block "
                        "per iteration")
    p.add_argument("--iterations", type=int, default=None, metavar="N",
                   help="backprop and cnn-backprop only: how many iterations (blocks) the learning sheet "
                        "holds (default 50; cnn-backprop 10)")
    p.set_defaults(run=run, subject="output")


def run(args) -> int:
    from sheetnet.data import chapter3_params
    from sheetnet.errors import UnusableInput
    from sheetnet.mirror.answer import write_answer_workbook

    if args.kind == "backprop":
        return run_backprop(args)
    if args.kind == "cnn-backprop":
        return run_cnn_backprop(args)
    if args.iterations is not None:
        raise UnusableInput("--iterations belongs to --kind backprop or cnn-backprop")
    if args.kind == "cnn":
        return run_cnn(args)
    args.params = args.params or "trained"
    if not 1 <= args.test_image <= 64:
        raise UnusableInput(f"--test-image {args.test_image}: the images are numbered 1…64")
    check_output_path(args.output)
    answer = write_answer_workbook(args.output, chapter3_params(args.params), test_image=args.test_image)
    ev, gd = answer.evaluation, answer.gd
    print(f"wrote {args.output} (answer, parameters: {args.params}): "
          f"C_T = {ev.C_T:.12g} · {int(ev.right.sum())}/{len(ev.C)} right ({ev.accuracy:.1%}); "
          f"测试: image {answer.test_image} → {answer.test_verdict}; "
          f"chapter-4 run: C_T {gd.C_T_history[0]:.6g} → {gd.C_T_history[-1]:.6g} in {gd.iterations} iterations")
    return EXIT_OK


def run_backprop(args) -> int:
    from sheetnet.mirror.backprop import ITERATIONS, MAX_ITERATIONS, write_backprop_workbook

    iterations = iteration_count(args.iterations, ITERATIONS, MAX_ITERATIONS)
    check_output_path(args.output)
    run = write_backprop_workbook(args.output, iterations=iterations)
    print(f"wrote {args.output} (backprop, η = {run.eta:g}, {run.iterations} iterations, {run.cells} cells): "
          f"C_T {run.C_T[0]:.6g} → {run.C_T[-1]:.6g} before the last update; {run.right[-1]}/64 right")
    return EXIT_OK


def cnn_params(name: str | None):
    """--params for --kind cnn → (its name, the CNN): by default 'trained' when the data has it, else 'initial'."""
    from sheetnet.data import chapter5
    from sheetnet.errors import UnusableInput

    if name is None:
        name = "trained" if "trained" in chapter5.PARAM_SETS else "initial"
    if name not in chapter5.PARAM_SETS:
        raise UnusableInput(f"--params {name}: the CNN's parameter sets are {', '.join(chapter5.PARAM_SETS)}")
    return name, chapter5.chapter5_params(name)


def run_cnn(args) -> int:
    from sheetnet.mirror.cnn import write_cnn_workbook

    name, net = cnn_params(args.params)
    check_output_path(args.output)
    ev = write_cnn_workbook(args.output, net)
    print(f"wrote {args.output} (cnn, parameters: {name}): "
          f"C_T = {ev.C_T:.12g} · {int(ev.right.sum())}/{len(ev.C)} right ({ev.accuracy:.1%})")
    return EXIT_OK


def run_cnn_backprop(args) -> int:
    from sheetnet.errors import UnusableInput
    from sheetnet.mirror.cnn_backprop import ITERATIONS, MAX_ITERATIONS, write_cnn_backprop_workbook

    if args.params is not None:
        raise UnusableInput("--params: --kind cnn-backprop starts from the book's initial values")
    iterations = iteration_count(args.iterations, ITERATIONS, MAX_ITERATIONS)
    check_output_path(args.output)
    run = write_cnn_backprop_workbook(args.output, iterations=iterations)
    print(f"wrote {args.output} (cnn-backprop, η = {run.eta:g}, {run.iterations} iterations, {run.cells} cells): "
          f"C_T {run.C_T[0]:.6g} → {run.C_T[-1]:.6g} before the last update; {run.right[-1]}/96 right")
    return EXIT_OK
