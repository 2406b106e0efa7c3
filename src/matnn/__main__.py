"""``python -m matnn`` runs the command line."""

import sys

from matnn.cli.main import main

sys.exit(main())
