"""Autograder for NumPy homework: a homework-agnostic engine plus one folder per homework."""
