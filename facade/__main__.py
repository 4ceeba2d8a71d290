from facade.cli import main

raise SystemExit(main())
