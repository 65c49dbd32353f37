# Shared by scripts/test.sh and scripts/train.sh (sourced, not run): the
# Debian packages wick needs and the one Release build both commands use.

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs the Debian packages given that are not installed yet.
install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

# What building wick and its Python package needs.
BUILD_PACKAGES=(cmake ninja-build g++ libopenblas-dev libopenblas0-openmp zlib1g-dev
                python3-dev python3-venv python3-numpy pybind11-dev)
# The sanitizer build of scripts/test.sh: clang with its sanitizer and libFuzzer
# runtimes, and LLVM's OpenMP runtime, which clang's -fopenmp links.
SANITIZER_PACKAGES=(clang libclang-rt-14-dev libomp-dev)
# What the training programs use: progress bars, plots, graph pictures, the data.
TRAIN_PACKAGES=(python3-tqdm python3-matplotlib graphviz dataset-fashion-mnist fortunes)

jobs=$(nproc)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$jobs}

# Configures and builds build/ (Release; CUDA where nvcc is found; the Python
# module); extra CMake targets may be named, default all.
release_build() {
  echo "== Release build"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWICK_CUDA="${WICK_CUDA:-AUTO}" -DWICK_BUILD_PYTHON=ON \
    -DPython_EXECUTABLE=/usr/bin/python3 >/dev/null
  cmake --build build -j "$jobs" "$@"
}

# pip install . into build/venv from the build above (so nothing is compiled twice).
install_python_package() {
  echo "== Python package: pip install . into build/venv"
  if [ ! -x build/venv/bin/python ]; then
    /usr/bin/python3 -m venv --system-site-packages build/venv
  fi
  WICK_BUILD_DIR="$PWD/build" build/venv/bin/pip install --quiet --no-build-isolation --no-index --force-reinstall --no-deps .
}
