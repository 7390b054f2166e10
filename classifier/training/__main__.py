"""`python -m classifier.training`: train the tagger and write `models/`."""

from classifier.training.run import main

raise SystemExit(main())
