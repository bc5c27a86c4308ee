"""Running untrusted code: the channel (plain data, never pickle), the fork server, the worker,
limits and isolation, captured output, and the grader's side of a call. Knows no grading."""
