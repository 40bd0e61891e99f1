#!/usr/bin/env bash
# Real mail servers for the integration tests: Dovecot (IMAP + LMTP) and Postfix (SMTP,
# delivering into Dovecot over LMTP), on loopback ports, with all their state in one folder.
#
#   scripts/mail-servers.sh install         install the Debian packages (needs root)
#   scripts/mail-servers.sh start DIR       configure and start both under DIR; prints KEY=VALUE
#                                           lines (also written to DIR/env)
#   scripts/mail-servers.sh stop DIR        stop both; DIR can then be removed
#   scripts/mail-servers.sh restart-dovecot DIR | stop-dovecot DIR | start-dovecot DIR
#   scripts/mail-servers.sh reload-postfix DIR
#   scripts/mail-servers.sh postconf DIR 'name = value'   change a Postfix setting and reload
#   scripts/mail-servers.sh doveconf DIR 'name = value'   add a Dovecot setting and restart it
#
# Every mailbox exists (any user@any-domain), every password is "test". Mail for
# USER is stored as a Maildir in DIR/mail/USER; USER+anything@domain is USER@domain (both
# servers have recipient_delimiter = +). The TLS certificate is signed by DIR/tls/ca.pem.
#
# Only one file outside DIR is touched: Postfix accepts `-c DIR` only for directories listed
# in `alternate_config_directories` of its default main.cf, so `start` adds DIR there and
# `stop` takes it out again.
set -euo pipefail

die() { echo "mail-servers: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

install() {
    local missing=()
    command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
    [ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
    command -v postfix >/dev/null 2>&1 || missing+=(postfix)
    postconf -m 2>/dev/null | grep -qx pcre || missing+=(postfix-pcre)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        echo "mail-servers: installed ${missing[*]}"
    else
        echo "mail-servers: Dovecot and Postfix are installed"
    fi
    ensure_default_main_cf
}

# `postfix -c DIR` is checked against the default main.cf, which must therefore exist.
ensure_default_main_cf() {
    [ -f /etc/postfix/main.cf ] && return
    [ "$(id -u)" = 0 ] || die "/etc/postfix/main.cf is missing and only root can create it"
    mkdir -p /etc/postfix
    cp /usr/share/postfix/main.cf.dist /etc/postfix/main.cf 2>/dev/null || : > /etc/postfix/main.cf
}

make_tls() {
    local d=$1
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=egov-desk test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$d/ext.cnf"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 3650 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
    chmod 644 "$d/server.pem" "$d/ca.pem"
    chmod 640 "$d/server.key"
}

write_dovecot() {
    local dir=$1
    local conf=$dir/dovecot/dovecot.conf
    mkdir -p "$dir/dovecot/run" "$dir/dovecot/state" "$dir/mail"
    chown mail:mail "$dir/mail"
    local dh=""
    [ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
    cat > "$conf" <<CONF
base_dir = $dir/dovecot/run
state_dir = $dir/dovecot/state
log_path = $dir/dovecot/dovecot.log
info_log_path = $dir/dovecot/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/tls/server.pem
ssl_key = <$dir/tls/server.key
$dh
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 8
mail_uid = mail
mail_gid = mail
mail_location = maildir:$dir/mail/%u
mail_fsync = always
# servicii+b-7-ab12@egov.md (the daemon's per-mail return paths) is servicii@egov.md's INBOX.
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
passdb {
  driver = static
  args = password=test
}
userdb {
  driver = static
  args = home=$dir/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service auth {
  # Postfix authenticates SMTP clients through this socket (SASL type dovecot).
  unix_listener auth-client {
    mode = 0666
  }
}
service lmtp {
  # A path relative to base_dir: Postfix delivers to $dir/dovecot/run/lmtp.
  unix_listener lmtp {
    mode = 0666
  }
}
protocol lmtp {
  postmaster_address = postmaster@egov.md
}
CONF
}

write_postfix() {
    local dir=$1
    local pf=$dir/postfix
    mkdir -p "$pf/queue" "$pf/data"
    chown postfix "$pf/data"
    cat > "$pf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-egov-desk-test
maillog_file = $pf/maillog
maillog_file_prefixes = $dir
myhostname = mx.test.egov.md
mydomain = test.egov.md
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
# Every domain is ours, every address exists: all mail goes to Dovecot over LMTP.
virtual_mailbox_domains = static:all
virtual_mailbox_maps = static:all
virtual_transport = lmtp:unix:$dir/dovecot/run/lmtp
# user+detail@domain is user@domain (the daemon's return paths are servicii+b-ID-MAC@egov.md).
recipient_delimiter = +
mynetworks = 127.0.0.0/8
# The tests make an address answer 4xx or 5xx by writing it into this table.
smtpd_recipient_restrictions = check_recipient_access pcre:$pf/recipient_access, permit_sasl_authenticated, permit_mynetworks, reject
smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks, reject
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $dir/dovecot/run/auth-client
smtpd_tls_auth_only = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/server.pem
smtpd_tls_key_file = $dir/tls/server.key
smtp_tls_security_level = none
lmtp_tls_security_level = none
smtpd_banner = \$myhostname ESMTP
biff = no
append_dot_mydomain = no
message_size_limit = 52428800
# Retry quickly: Dovecot is stopped and restarted during the tests.
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
in_flow_delay = 0
CONF
    : > "$pf/recipient_access"
    # No service is chrooted: the LMTP socket lives outside the queue directory.
    cat > "$pf/master.cf" <<CONF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
}

# Serialises edits of the shared main.cf: test binaries start servers in parallel.
lock_main_cf() {
    exec 9>/tmp/egov-desk-mail-servers.lock
    flock 9
}

allow_config_dir() {
    local pf=$1
    local current
    lock_main_cf
    current=$(postconf -h alternate_config_directories)
    case " $current " in *" $pf "*) flock -u 9; return ;; esac
    postconf -e "alternate_config_directories = ${current:+$current }$pf"
    flock -u 9
}

forbid_config_dir() {
    local pf=$1
    local current kept=""
    lock_main_cf
    current=$(postconf -h alternate_config_directories)
    for d in $current; do [ "$d" = "$pf" ] || kept="${kept:+$kept }$d"; done
    postconf -e "alternate_config_directories = $kept"
    flock -u 9
}

start_dovecot() {
    local dir=$1
    # A daemon must not keep the caller's pipes open (the caller waits for their end).
    dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >>"$dir/dovecot/dovecot.log" 2>&1 || { cat "$dir/dovecot/dovecot.log" >&2 2>/dev/null; die "Dovecot did not start"; }
    wait_port "$IMAP_PORT" || { cat "$dir/dovecot/dovecot.log" >&2; die "Dovecot is not listening on $IMAP_PORT"; }
}

stop_dovecot() {
    local dir=$1
    [ -f "$dir/dovecot/dovecot.conf" ] || return 0
    local master children=""
    master=$(cat "$dir/dovecot/run/master.pid" 2>/dev/null || true)
    # Logged-in IMAP processes outlive the master; a real restart (a service manager
    # stopping the unit) ends them too, so remember them now.
    [ -n "$master" ] && children=$(pgrep -P "$master" || true)
    dovecot -c "$dir/dovecot/dovecot.conf" stop </dev/null >/dev/null 2>&1 || true
    for _ in $(seq 50); do
        [ -n "$master" ] && kill -0 "$master" 2>/dev/null || break
        sleep 0.1
    done
    for pid in $children; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.2
    for pid in $children; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -f "$dir/dovecot/run/master.pid"
}

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

load_env() {
    local dir=$1
    [ -f "$dir/env" ] || die "$dir/env missing: was the folder started with 'start'?"
    # shellcheck disable=SC1091
    . "$dir/env"
}

start() {
    local dir
    dir=$(realpath -m "$1")
    [ "$(id -u)" = 0 ] || die "starting the servers needs root (Dovecot and Postfix drop to their own users)"
    command -v dovecot >/dev/null && command -v postfix >/dev/null || die "Dovecot/Postfix missing: run '$0 install'"
    ensure_default_main_cf
    mkdir -p "$dir"
    # The servers' own users must be able to reach their files below DIR.
    chmod 755 "$dir"
    IMAP_PORT=$(free_port); IMAPS_PORT=$(free_port); SMTP_PORT=$(free_port)
    make_tls "$dir/tls"
    chgrp dovecot "$dir/tls/server.key" 2>/dev/null || true
    write_dovecot "$dir"
    write_postfix "$dir"
    cat > "$dir/env" <<ENV
MAIL_DIR=$dir
IMAP_PORT=$IMAP_PORT
IMAPS_PORT=$IMAPS_PORT
SMTP_PORT=$SMTP_PORT
CA_FILE=$dir/tls/ca.pem
MAIL_ROOT=$dir/mail
RECIPIENT_ACCESS=$dir/postfix/recipient_access
ENV
    start_dovecot "$dir"
    allow_config_dir "$dir/postfix"
    postfix -c "$dir/postfix" set-permissions >/dev/null 2>&1 || true
    chown postfix "$dir/postfix/data"
    if ! postfix -c "$dir/postfix" start </dev/null >/dev/null 2>&1; then
        # Postfix prints its fatal errors only to its log.
        cat "$dir/postfix/maillog" >&2 2>/dev/null || true
        postfix -c "$dir/postfix" check >&2 || true
        die "Postfix did not start"
    fi
    wait_port "$SMTP_PORT" || { cat "$dir/postfix/maillog" >&2; die "Postfix is not listening on $SMTP_PORT"; }
    cat "$dir/env"
}

stop() {
    local dir
    dir=$(realpath -m "$1")
    if [ -f "$dir/postfix/main.cf" ]; then
        postfix -c "$dir/postfix" stop >/dev/null 2>&1 || true
        forbid_config_dir "$dir/postfix" || true
    fi
    stop_dovecot "$dir"
}

case "${1:-}" in
    install) install ;;
    start) [ -n "${2:-}" ] || die "usage: $0 start DIR"; start "$2" ;;
    stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
    stop-dovecot) load_env "$2"; stop_dovecot "$(realpath -m "$2")" ;;
    start-dovecot) load_env "$2"; start_dovecot "$(realpath -m "$2")" ;;
    restart-dovecot) load_env "$2"; stop_dovecot "$(realpath -m "$2")"; start_dovecot "$(realpath -m "$2")" ;;
    reload-postfix) postfix -c "$(realpath -m "$2")/postfix" reload </dev/null >/dev/null 2>&1 ;;
    doveconf)
        load_env "$2"
        printf '%s\n' "$3" >> "$(realpath -m "$2")/dovecot/dovecot.conf"
        stop_dovecot "$(realpath -m "$2")"
        start_dovecot "$(realpath -m "$2")" ;;
    postconf)
        postconf -c "$(realpath -m "$2")/postfix" -e "$3"
        postfix -c "$(realpath -m "$2")/postfix" reload </dev/null >/dev/null 2>&1 ;;
    *) die "usage: $0 install | start DIR | stop DIR | stop-dovecot DIR | start-dovecot DIR | restart-dovecot DIR | reload-postfix DIR | postconf DIR SETTING | doveconf DIR SETTING" ;;
esac
