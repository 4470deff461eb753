# Sourced by the set-up scripts: install Debian packages when something they
# provide is missing, or say how to.
#
#   install_missing PURPOSE HINT PACKAGE...
#
# The caller defines `missing` (prints what is absent, one per line). When it
# prints nothing, this returns at once. Otherwise, as root on a Debian-like
# system, the packages are installed with apt and checked again; anywhere else
# it prints the command to run (or HINT on other systems) and exits 1.

install_missing() {
  local purpose=$1 hint=$2
  shift 2
  local packages=("$@") absent install_command
  absent=$(missing)
  [ -z "$absent" ] && return 0
  install_command="apt-get update && apt-get install -y --no-install-recommends ${packages[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing for $purpose: $(echo "$absent" | tr '\n' ' ')" >&2
    echo "Install them as root, then run the command again:" >&2
    echo "  sudo sh -c '$install_command'" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing for $purpose: $(echo "$absent" | tr '\n' ' ')" >&2
    echo "This is not a Debian/Ubuntu system: $hint" >&2
    exit 1
  fi
  echo "Installing ${packages[*]} ($purpose)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  absent=$(missing)
  if [ -n "$absent" ]; then
    echo "Still missing after installing ${packages[*]}: $(echo "$absent" | tr '\n' ' ')" >&2
    exit 1
  fi
  echo "${packages[*]}: ready."
}
