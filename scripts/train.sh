#!/usr/bin/env bash
# The main job (README.md): installs the Debian packages it needs, builds wick,
# installs the Python package into build/venv and trains the CNN for one epoch
# on Fashion-MNIST, leaving metrics.csv, curves.png, model.wick, graph.dot and
# graph.svg in runs/cnn. Arguments go to the training program, e.g.
#
#   scripts/train.sh --model lstm --epochs 3 --out runs/lstm
#
# (python -m wick.examples.train --help lists them all).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_packages "${BUILD_PACKAGES[@]}" "${TRAIN_PACKAGES[@]}"
release_build --target wick_python
install_python_package
echo "== training"
cd /tmp  # so that `import wick` finds the installed package, not the source tree
if [ $# -eq 0 ]; then set -- --model cnn --epochs 1 --out "$OLDPWD/runs/cnn"; fi
exec "$OLDPWD/build/venv/bin/python" -m wick.examples.train "$@"
