#!/bin/sh
# Builds the virtualenv that vnpy-gateway runs (on every host that runs
# gateways, as root). vnpy and its CTP gateway come from PyPI; hamd itself
# needs nothing from it. Pin the versions you tested.
#
#   sh deploy/examples/sources/vnpy-venv.sh
set -eu
VENV=/opt/hamd/vnpy-venv
python3 -m venv "$VENV"
"$VENV/bin/pip" install --upgrade pip
"$VENV/bin/pip" install pyzmq msgpack vnpy vnpy_ctp
# The bridge imports the class named in params.gateway: check it loads.
"$VENV/bin/python" -c 'import vnpy_ctp; print("vnpy_ctp", vnpy_ctp.__version__)'
# vnpy keeps its .vntrader folder and CTP its flow files in the account's
# workdir (params.workdir): under /var/lib/hamd, which systemd lets hamd's
# gateways write (ProtectHome hides $HOME).
install -d -o hamd -g hamd -m 0700 /var/lib/hamd/vnpy
