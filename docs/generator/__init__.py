"""The documentation generator behind ``docs/generate.py``: docstring parsing, diagrams, pages."""
