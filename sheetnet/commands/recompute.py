"""`sheetnet recompute`: every computed cell from the workbook's own inputs, against its cached value."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_FINDINGS, EXIT_OK, KIND_CHOICES, kind_of


def register(sub) -> None:
    p = sub.add_parser("recompute", help="recompute every computed cell of a workbook and compare with its cached values")
    p.add_argument("file", type=Path)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rel", type=float, default=1e-9, help="relative tolerance (default 1e-9)")
    p.add_argument("--abs", type=float, default=1e-12, help="absolute tolerance (default 1e-12)")
    p.add_argument("--params", default=None, metavar="SET",
                   help="parameters for a workbook without a learning sheet (default: the kind's first set, "
                        "chapter 3: initial)")
    p.add_argument("--kind", choices=KIND_CHOICES, default="auto",
                   help="the kind of workbook (default auto: found from its sheets)")
    p.set_defaults(run=run, subject="file")


def run(args) -> int:
    from sheetnet.mirror.compare import Tolerance
    from sheetnet.mirror.recompute import recompute
    from sheetnet.report import recompute_json, recompute_text

    result = recompute(args.file, tol=Tolerance(rel=args.rel, abs=args.abs), default_params=args.params,
                       kind=kind_of(args.kind, detect=False))
    print(recompute_json(result) if args.format == "json" else recompute_text(result))
    return EXIT_OK if result.comparison.all_agree else EXIT_FINDINGS
