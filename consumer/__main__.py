"""`python -m consumer` is the `detente` command."""

import sys

from consumer.cli import main

sys.exit(main())
