import sys

from perfbench.cli.main import main

sys.exit(main())
