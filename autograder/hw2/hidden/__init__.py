"""Hidden tests (visibility after_published): other sizes, real images, the trained network.

Never shipped in the handout bundle; their inputs appear nowhere else.
"""

HIDDEN = (64, 13, 10)  # M0, M1, N: the digits' size
