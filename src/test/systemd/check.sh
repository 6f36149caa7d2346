#!/bin/sh
# Runs in the container of run.sh, under systemd as PID 1: docs/deploy.md's steps as an operator
# types them, an upgrade while clients download, then purge. Every line it prints starts with
# CHECK; the last one says PASS or FAIL.
set -u
say() { echo "CHECK: $*"; }
failures=0
bad() {
    echo "CHECK: FAILED: $*"
    failures=$((failures + 1))
}
host=photos.example.org
settings_check() {
    systemd-run --quiet --pipe --wait --property=EnvironmentFile=/etc/default/download-service \
        --property=User=download-service --property=DynamicUser=yes --property=LogsDirectory=download-service \
        --property=ProtectHome=yes --property=PrivateTmp=yes \
        /usr/bin/download-service --check-config 2>&1
}

say "install"
cd /root/packages || exit 1
apt-get install -y -q ./installed.deb > install.log 2>&1 || bad "apt-get install: $(tail -3 install.log)"
install -d /srv/photos
cp -r /root/test_photos/. /srv/photos/
install -d /srv/photos/big-photos-0123456789
head -c 24000000 /dev/urandom > /srv/photos/big-photos-0123456789/a.jpg
head -c 8000000 /dev/urandom > /srv/photos/big-photos-0123456789/b.jpg
chmod -R o+rX /srv/photos
install -d -m 700 /srv/photos/unreadable-0123456789   # as an FTP server with umask 077 makes it

say "the settings, as the unit reads them"
out=$(settings_check) || bad "check-config: $out"
say "$out"
echo 'PORT=8080 # a comment' >> /etc/default/download-service
out=$(settings_check) && bad "check-config took an inline comment"
say "with a comment after a value: $out"
sed -i '$d' /etc/default/download-service

say "start"
ln -s /etc/nginx/sites-available/download-service /etc/nginx/sites-enabled/
out=$(nginx -t 2>&1) || bad "nginx -t: $out"
case $out in *warn*) bad "nginx -t warns: $out" ;; esac
systemctl enable --now download-service || bad "systemctl enable --now"
# Type=notify: it listens once systemctl returns.
curl -sf http://127.0.0.1:8081/healthz > /dev/null || bad "no /healthz right after systemctl enable --now"
systemctl reload nginx || bad "systemctl reload nginx"
sleep 1
status=$(curl -sI -H "Host: $host" http://localhost/archive/3bea29ccabbbf64bdebcc055319c5745/ | head -1)
say "HEAD through nginx: $status"
case $status in *" 200 "*) ;; *) bad "HEAD through nginx: $status" ;; esac
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" http://localhost/archive/unreadable-0123456789/)
[ "$status" = 404 ] || bad "an unreadable gallery: HTTP $status"
sleep 1
warning=$(journalctl -u download-service -p warning -q -o cat)
say "journalctl -p warning: $warning"
case $warning in *unreadable*) ;; *) bad "journalctl -p warning does not name the unreadable gallery" ;; esac
rmdir /srv/photos/unreadable-0123456789

say "reload (SIGHUP)"
pid=$(systemctl show -P MainPID download-service)
systemctl reload download-service || bad "systemctl reload"
sleep 1
[ "$(systemctl show -P MainPID download-service)" = "$pid" ] || bad "the reload restarted the service"
systemctl is-active -q download-service || bad "the reload stopped the service"

say "a second instance"
printf 'PORT=8090\nADMIN_PORT=8091\n' > /etc/default/download-service-two
systemctl enable --now download-service@two || bad "systemctl enable --now download-service@two"
curl -sf http://127.0.0.1:8091/healthz > /dev/null || bad "no /healthz of @two right after systemctl enable --now"
two_pid=$(systemctl show -P MainPID download-service@two)

say "a setting the service refuses, then the handover by hand"
pid=$(systemctl show -P MainPID download-service)
echo 'SHUTDOWN_TIMEOUT=soon' >> /etc/default/download-service
out=$(/usr/share/download-service/handover 2>&1) && bad "the handover took SHUTDOWN_TIMEOUT=soon"
say "$out"
[ "$(systemctl show -P MainPID download-service)" = "$pid" ] || bad "a refused handover touched the running service"
refusal=$(journalctl -u download-service@handover -p err -q -o cat)
case $refusal in *"invalid value for --shutdown-timeout (env SHUTDOWN_TIMEOUT)"*) ;; *) bad "journalctl -p err: $refusal" ;; esac
sed -i '$d' /etc/default/download-service

say "clients downloading"
sleep 1
clients_from=$(date +%s)
say "$(sysctl net.ipv4.tcp_migrate_req) (60-download-service.conf, applied by the package)"
touch /root/clients.run
clients() { # $1 name, $2 URL: a new connection for every request, while clients.run is there
    n=0
    while [ -e /root/clients.run ]; do
        n=$((n + 1))
        code=$(curl -s -H "Host: $host" -o "/root/$1.zip" -w '%{http_code}' "$2")
        rc=$?
        if [ "$rc" -ne 0 ] || [ "$code" != 200 ]; then
            echo "request $n: curl exit $rc, HTTP $code" >> "/root/$1.failed"
        elif ! unzip -tq "/root/$1.zip" > /dev/null 2>&1; then
            echo "request $n: a broken archive" >> "/root/$1.failed"
        fi
    done
    echo "$n" > "/root/$1.count"
}
clients direct http://127.0.0.1:8080/archive/3bea29ccabbbf64bdebcc055319c5745/ &
clients nginx http://localhost/archive/af1ad8c76fda2e48ea9aed2937e972ea/ &
clients two http://127.0.0.1:8090/archive/3bea29ccabbbf64bdebcc055319c5745/ &
sleep 2
say "the handover by hand"
/usr/share/download-service/handover || bad "the handover by hand"
/usr/share/download-service/handover download-service@two || bad "the handover of download-service@two by hand"
[ "$(systemctl show -P MainPID download-service)" != "$pid" ] || bad "the handover did not restart download-service"
two_pid=$(systemctl show -P MainPID download-service@two)
say "upgrade"
# A download under way on the old process when it begins to drain: its reader waits for the
# drain (the service, its socket full, waits too), then takes the rest.
old_pid=$(systemctl show -P MainPID download-service)
(curl -s -w '%{stderr}%{http_code} %{size_download}' http://127.0.0.1:8080/archive/big-photos-0123456789/ 2> /root/slow.result | {
    until journalctl _PID="$old_pid" -q -o cat | grep -q draining; do sleep 0.2; done
    cat > /root/slow.zip
}) &
sleep 2
started=$(date +%s)
apt-get install -y -q ./newer.deb > upgrade.log 2>&1 || bad "apt-get install (the upgrade): $(tail -5 upgrade.log)"
say "the upgrade took $(($(date +%s) - started)) s"
sleep 2
rm /root/clients.run
wait
new_pid=$(systemctl show -P MainPID download-service)
say "download-service: process $old_pid, then $new_pid; download-service@two: $two_pid, then $(systemctl show -P MainPID download-service@two)"
{ [ "$new_pid" != "$old_pid" ] && [ "$new_pid" -gt 0 ]; } || bad "download-service was not restarted"
[ "$(systemctl show -P MainPID download-service@two)" != "$two_pid" ] || bad "download-service@two was not restarted"
! systemctl is-active -q download-service@handover || bad "download-service@handover still runs"
dpkg-query -W -f '${Version}' download-service | grep -q newer || bad "the package was not upgraded"
for name in direct nginx two; do
    say "clients $name: $(cat /root/$name.count) requests, $(cat /root/$name.failed 2> /dev/null | wc -l) failed"
    [ ! -s /root/$name.failed ] || bad "clients $name: $(head -5 /root/$name.failed | tr '\n' ' ')"
done
say "the download under way at the drain: $(cat /root/slow.result)"
{ grep -q '^200 32000' /root/slow.result && unzip -tq /root/slow.zip > /dev/null; } || bad "the download under way at the drain did not finish whole"
journalctl _PID="$old_pid" -q -o cat | sed -n '/draining/,$p' | grep -q 'download big-photos-0123456789 .* complete' ||
    bad "the download under way at the drain did not finish on the draining process"
say "the handover, as the journal tells it:"
journalctl -u download-service -u download-service@handover -q -o short-precise --since "-90s" |
    grep -v '"GET \|Download - download' | sed 's/^/CHECK:   /'
warnings=$(journalctl -u 'download-service*' -p warning -q -o cat --since "@$clients_from")
[ -z "$warnings" ] || bad "warnings: $warnings"

say "purge"
apt-get purge -y -q download-service > purge.log 2>&1 || bad "apt-get purge: $(tail -3 purge.log)"
! systemctl is-active -q download-service download-service@two || bad "a service still runs after purge"
failed=$(systemctl list-units --failed --plain --no-legend 'download-service*')
[ -z "$failed" ] || bad "failed units: $failed"
left=$(ls -d /etc/default/download-service* /etc/nginx/sites-*/download-service /lib/systemd/system/download-service* \
    /var/log/download-service /etc/systemd/system/*/download-service* 2> /dev/null)
[ "$left" = /etc/default/download-service-two ] || bad "left after purge: $left"   # the operator's own file stays

if [ "$failures" -eq 0 ]; then say "RESULT: PASS"; else say "RESULT: FAIL, $failures checks"; fi
systemctl poweroff
