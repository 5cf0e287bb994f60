import sys

from lawm.cli import main

sys.exit(main())
