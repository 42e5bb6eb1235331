"""The kit's tools: the skeleton generator, the runner (check, grade, hint, watch) and make test."""
