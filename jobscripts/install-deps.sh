#!/usr/bin/env bash
# Installs the Debian packages tms builds, runs, tests and plots with. Needs root (or sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential cmake pkg-config git \
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools libopenblas-dev libyaml-dev \
  python3 python3-h5py python3-numpy python3-matplotlib python3-xarray python3-h5netcdf netcdf-bin \
  clang libclang-rt-14-dev \
  slurm-wlm munge  # the slurm CTest case brings up a single-node Slurm with these
