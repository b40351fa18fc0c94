#!/usr/bin/env bash
# A throwaway OpenSSH server on a loopback port, for the SFTP delivery tests.
#   source .ci/sshd.sh; sshd_throwaway_start; ...; sshd_throwaway_stop
# Debian's sshd (started by its absolute path) with its own sshd_config, a fresh ed25519 host key
# and a user whose only authorised key is a fresh ed25519 key; the user gets SFTP and nothing else
# (ForceCommand internal-sftp, no shell, no forwarding). As root the user is a dedicated system
# account, exdef-sftp (created when missing), so permission tests mean something; otherwise the
# server runs as, and admits, the calling user. Exports for the tests:
#   EXDEF_TEST_SFTP_HOST, _PORT, _USER, _KEY (the client's private key file, 0600),
#   _HOSTKEY_FINGERPRINT (SHA256:..., as `ssh-keygen -lf` prints it), _HOSTKEY (the public key line),
#   _ROOT (a directory the user may write; the same path on this machine and on the server),
#   _PIDFILE (the listening sshd's pid: each connection is a child of it).

SSHD_USER_AS_ROOT=exdef-sftp

sshd_binary() {
  if [ -n "${SSHD_BIN:-}" ]; then echo "$SSHD_BIN"; return; fi
  if [ -x /usr/sbin/sshd ]; then echo /usr/sbin/sshd; return; fi
  command -v sshd 2>/dev/null || true
}

sshd_throwaway_start() {
  local sshd user
  sshd=$(sshd_binary)
  if [ -z "$sshd" ] || [ ! -x "$sshd" ]; then
    echo "OpenSSH's sshd not found (apt-get install openssh-server, or set SSHD_BIN)" >&2
    return 1
  fi
  case "$sshd" in /*) ;; *) sshd=$(cd "$(dirname "$sshd")" && pwd)/$(basename "$sshd") ;; esac
  SSHD_WORK=$(mktemp -d /tmp/exdef-sshd.XXXXXX)
  chmod 755 "$SSHD_WORK"
  if [ "$(id -u)" = "0" ]; then
    user=$SSHD_USER_AS_ROOT
    if ! id "$user" >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" || return 1
    fi
    # A locked account ('!' in shadow) is refused by sshd even for key authentication; '*' has no
    # password either but is not locked.
    usermod -p '*' "$user" >/dev/null 2>&1 || true
    mkdir -p /run/sshd && chmod 755 /run/sshd   # sshd's privilege-separation directory
  else
    user=$(id -un)
  fi
  ssh-keygen -q -t ed25519 -N '' -C exdef-test-host -f "$SSHD_WORK/host_ed25519_key" || return 1
  ssh-keygen -q -t ed25519 -N '' -C exdef-test-client -f "$SSHD_WORK/client_ed25519_key" || return 1
  chmod 600 "$SSHD_WORK/host_ed25519_key" "$SSHD_WORK/client_ed25519_key"
  cp "$SSHD_WORK/client_ed25519_key.pub" "$SSHD_WORK/authorized_keys"
  chmod 644 "$SSHD_WORK/authorized_keys"
  mkdir -p "$SSHD_WORK/sftp"
  chmod 755 "$SSHD_WORK/sftp"
  if [ "$(id -u)" = "0" ]; then chown "$user" "$SSHD_WORK/sftp"; fi
  SSHD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  cat >"$SSHD_WORK/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_WORK/host_ed25519_key
PidFile $SSHD_WORK/sshd.pid
AuthorizedKeysFile $SSHD_WORK/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PubkeyAcceptedAlgorithms ssh-ed25519
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PermitRootLogin no
PermitTTY no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
MaxStartups 100
MaxSessions 20
LoginGraceTime 30
LogLevel VERBOSE
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d $SSHD_WORK/sftp
EOF
  "$sshd" -t -f "$SSHD_WORK/sshd_config" 2>"$SSHD_WORK/check.log" || { cat "$SSHD_WORK/check.log" >&2; return 1; }
  "$sshd" -D -f "$SSHD_WORK/sshd_config" -E "$SSHD_WORK/sshd.log" &
  SSHD_PID=$!
  local tries=0
  until python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $SSHD_PORT), 1); sys.exit(0 if s.recv(4) == b'SSH-' else 1)" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$SSHD_PID" 2>/dev/null; then
      cat "$SSHD_WORK/sshd.log" >&2
      return 1
    fi
    sleep 0.1
  done
  export EXDEF_TEST_SFTP_HOST=127.0.0.1
  export EXDEF_TEST_SFTP_PORT=$SSHD_PORT
  export EXDEF_TEST_SFTP_USER=$user
  export EXDEF_TEST_SFTP_KEY=$SSHD_WORK/client_ed25519_key
  EXDEF_TEST_SFTP_HOSTKEY_FINGERPRINT=$(ssh-keygen -lf "$SSHD_WORK/host_ed25519_key.pub" | awk '{print $2}')
  EXDEF_TEST_SFTP_HOSTKEY=$(cut -d' ' -f1,2 "$SSHD_WORK/host_ed25519_key.pub")
  export EXDEF_TEST_SFTP_HOSTKEY_FINGERPRINT EXDEF_TEST_SFTP_HOSTKEY
  export EXDEF_TEST_SFTP_ROOT=$SSHD_WORK/sftp
  export EXDEF_TEST_SFTP_PIDFILE=$SSHD_WORK/sshd.pid
  export SSHD_WORK SSHD_PID SSHD_PORT
  echo "$("$sshd" -V 2>&1 | cut -d, -f1) running on 127.0.0.1:$SSHD_PORT for $user (SFTP into $EXDEF_TEST_SFTP_ROOT)"
}

sshd_throwaway_stop() {
  if [ -n "${SSHD_PID:-}" ]; then
    kill "$SSHD_PID" 2>/dev/null || true
    wait "$SSHD_PID" 2>/dev/null || true
  fi
  if [ -n "${SSHD_WORK:-}" ] && [ -d "$SSHD_WORK" ]; then rm -rf "$SSHD_WORK"; fi
  SSHD_PID=
  SSHD_WORK=
}
