#!/usr/bin/env bash
# Placeholder: installs nothing yet.
exit 0
