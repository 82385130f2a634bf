from hingecoach.cli import main

raise SystemExit(main())
