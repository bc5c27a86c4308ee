"""Homework 2's grading suite: tests that read like the recitation's math."""
