"""Training programs: ``python -m wick.examples.train --help``."""
