from sheetnet import interrupts

interrupts.install()  # first: a signal while the rest is imported is one line too, never a traceback

from sheetnet.cli import main  # noqa: E402

raise SystemExit(main())
