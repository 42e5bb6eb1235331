"""Tests of the kit's Python tools (tools/kit); run: python3 -m unittest discover -s tests/tools -t ."""
