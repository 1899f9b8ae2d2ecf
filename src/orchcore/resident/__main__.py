"""``python -m orchcore.resident SOCKET_PATH``: what ``client.start`` spawns."""

import sys

from orchcore.resident.supervisor import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
