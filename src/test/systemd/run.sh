#!/bin/sh
# The Debian package under a running systemd: installed as docs/deploy.md says, then upgraded
# while clients download (the postinst's handover), then purged. CI machines have no systemd
# as PID 1, so this runs by hand, as root, after `./mvnw -DskipTests package`:
#
#     sh src/test/systemd/run.sh
#
# It boots Debian 12 with systemd in a container (systemd-nspawn, Debian's systemd-container
# and debootstrap packages; a Debian mirror is needed the first time, about a minute), runs
# check.sh there and prints what it saw; exit 0 when every check passed. About two minutes.
set -eu

cd "$(dirname "$0")/../../.."
work=target/systemd-check
base=$work/debian-12
deb=$(ls target/download-service_*_all.deb)

if [ ! -e "$base/.complete" ]; then
    rm -rf "$base"
    mkdir -p "$work"
    debootstrap --variant=minbase \
        --include=systemd,systemd-sysv,dbus,openjdk-17-jre-headless,iproute2,procps,curl,unzip,nginx \
        bookworm "$base" http://deb.debian.org/debian > "$work/debootstrap.log"
    mkdir -p "$base/var/log/journal"
    touch "$base/.complete"
fi

# A fresh copy of the system for every run, with the package twice: as built, and the same
# files as a newer version, for the upgrade.
root=$work/root
rm -rf "$root" "$work/newer"
cp -a "$base" "$root"
mkdir -p "$root/root/packages"
cp "$deb" "$root/root/packages/installed.deb"
dpkg-deb -R "$deb" "$work/newer"
sed -i 's/^Version: .*/&+newer/' "$work/newer/DEBIAN/control"
dpkg-deb -b "$work/newer" "$root/root/packages/newer.deb" > /dev/null
cp -r test_photos "$root/root/test_photos"
cp src/test/systemd/check.sh "$root/root/check.sh"
cat > "$root/etc/systemd/system/package-check.service" <<'UNIT'
[Unit]
Description=the Debian package under systemd (src/test/systemd/check.sh)
After=multi-user.target nginx.service

[Service]
ExecStart=/bin/sh -c '/bin/sh /root/check.sh > /root/check.log 2>&1'
UNIT
ln -s /etc/systemd/system/package-check.service "$root/etc/systemd/system/multi-user.target.wants/"

# nspawn keeps its mounts under /run/systemd/nspawn, and insists that it be a tmpfs.
mkdir -p /run/systemd/nspawn
[ "$(findmnt -n -o FSTYPE --target /run/systemd/nspawn)" = tmpfs ] || mount -t tmpfs tmpfs /run/systemd/nspawn
# Loopback alone (--private-network); the kernel's settings of its own network (tcp_migrate_req).
timeout 600 systemd-nspawn --quiet --directory="$root" --register=no --keep-unit --private-network \
    --boot > "$work/console.log" 2>&1 || echo "systemd-nspawn: exit $?, see $work/console.log"

cat "$root/root/check.log"
grep -q '^CHECK: RESULT: PASS' "$root/root/check.log"
