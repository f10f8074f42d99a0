#!/usr/bin/env python
"""Django's command-line utility; ``huike`` is the same with friendlier names."""

import sys

from huike.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
