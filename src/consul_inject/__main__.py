from __future__ import annotations

from consul_inject.cli import main

raise SystemExit(main())
