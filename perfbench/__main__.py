import sys

from perfbench.entry import main

sys.exit(main())
