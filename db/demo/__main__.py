"""``python -m db.demo``: see ``db.demo.generator.main``."""

from db.demo.generator import main

raise SystemExit(main())
