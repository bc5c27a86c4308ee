"""One grading run: the pytest plugin, results, checks and gradient checks, locating files,
recorded values, the run itself. Knows no command."""
