"""One module per `sheetnet` subcommand; each has `register(subparsers)` adding its parser with
`set_defaults(run=...)`. The CLI imports a command's heavy dependencies only when it runs."""

NAMES = ("answer", "exercise", "recompute", "train", "check")
