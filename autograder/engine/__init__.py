"""The grading engine: knows nothing of any particular homework.

Kept import-light on purpose: the sandboxed worker imports this package too.
"""
