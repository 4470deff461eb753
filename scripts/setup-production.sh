#!/usr/bin/env bash
# Make sure the programs the production profile starts itself are there: nginx,
# the load balancer in front of the Rasa servers (bot/production.py). The stores
# (PostgreSQL, Redis, RabbitMQ) are services of their own, reached by URL.
# Installs nginx with apt when missing and running as root; otherwise prints the
# command to run. Does nothing, quickly, when it is present.
set -euo pipefail

missing() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || echo "nginx"
}

# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
install_missing "the production profile (load balancer)" \
  "install nginx with the system's package manager, then run the command again." \
  nginx
