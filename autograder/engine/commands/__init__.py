"""One module per command-line verb, named after it (check, batch, build, gradescope, validate,
diff, new, grade), and what only they use: reports, exports, the pool, similarity."""
