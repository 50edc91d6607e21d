#!/usr/bin/env bash
# The dev container's first step (devcontainer.json, postCreateCommand), in your clone (the workspace):
# the lessons say `cd ~/celery-lab`, so ~/celery-lab becomes a link to the workspace (in place of the
# image's own copy of the course), and the workspace gets its venv (make venv: from pip's cache in the image).
set -euo pipefail
workspace=$(pwd -P)
if [ "$(readlink -f ~/celery-lab)" != "$workspace" ]; then
  rm -rf ~/celery-lab
  ln -s "$workspace" ~/celery-lab
  echo "post-create: ~/celery-lab -> $workspace"
fi
make venv
