# Helpers sourced by the bench/*.sh scripts: packages, the benchmark build, machine facts.

# Installs Debian packages that are missing (by name only).
need_debs() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    local sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get install -y "${missing[@]}" >&2
  fi
}

# Configures BUILD_DIR (Release, -march=native, no tests) and builds the named targets.
build_targets() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMING_TESTS=OFF \
    ${CMAKE_EXTRA:-} >/dev/null
  cmake --build "$BUILD_DIR" -j "$(getconf _NPROCESSORS_ONLN)" --target "$@" >&2
}

# One markdown line on the machine and how busy it is right now.
machine_line() {
  local model cores avx512
  model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
  cores=$(getconf _NPROCESSORS_ONLN)
  avx512=$(grep -q avx512f /proc/cpuinfo && echo "AVX-512" || echo "no AVX-512")
  echo "Machine: $model, $cores cores, $avx512, $(awk '{print "load average " $1 " " $2 " " $3}' /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
}

# Sets ort=1 when onnxruntime-node is usable from bench/ort (installing it with npm, CPU
# binaries only, when missing), else ort=0 with a message.
find_ort() {
  ort=0
  if command -v node >/dev/null && command -v npm >/dev/null; then
    if [[ -d bench/ort/node_modules/onnxruntime-node ]] ||
       (cd bench/ort && ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip \
          npm install --ignore-scripts --no-audit --no-fund >&2); then
      ort=1
    fi
  fi
  ((ort)) || echo "onnxruntime-node unavailable: no ONNX Runtime figures" >&2
}
