"""`python -m benchmarks`: print the benchmark table and write it as CSV."""

import sys

from benchmarks.suite import main

if __name__ == "__main__":
    sys.exit(main())
