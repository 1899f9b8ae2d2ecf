"""``python -m orchcore`` behaves exactly like the ``orch`` command."""

from orchcore.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
