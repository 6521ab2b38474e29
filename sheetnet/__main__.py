from sheetnet.cli import main

raise SystemExit(main())
