# Sourced by the scripts that draw bench/time_to_detection.svg: sets plot_python to a Python with
# matplotlib, installing Debian's python3-matplotlib (it lands in /usr/bin/python3's path) if it is
# missing. Only here, not in ci/setup.sh: CI never draws the plot.
plot_python=/usr/bin/python3
if ! "$plot_python" -c 'import matplotlib' 2>/dev/null; then
  echo "installing python3-matplotlib for the detection plot"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends python3-matplotlib
fi
