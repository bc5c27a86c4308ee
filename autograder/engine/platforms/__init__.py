"""The platforms a homework ships to besides Gradescope: each a build target and an output writer.

One engine grades (run_suite) and one results model holds the verdicts (grading/results.py, which is
Gradescope's results.json); `outputs.py` turns those results into Autolab's and PrairieLearn's
formats, `autolab.py` and `prairielearn.py` build what each platform is given and run its flow here.
"""

PLATFORMS = ("gradescope", "autolab", "prairielearn")
