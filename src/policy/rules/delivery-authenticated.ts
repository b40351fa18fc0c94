import type { RuleModule } from '../rule.js';

/** The pin is the server's public key line, or its SHA256 fingerprint as `ssh-keygen -lf` prints it. */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{20,}={0,3}( .*)?$/;

export const deliveryAuthenticated: RuleModule = {
  meta: {
    id: 'delivery-authenticated',
    category: 'delivery',
    description: "Delivery goes only to a configured SFTP endpoint whose host key is pinned, so both ends are authenticated by keys.",
    rationale:
      'The IM1 Data Protection Policy, "Transmission Mechanism": files go to the consumer\'s SFTP server, authenticated with SSH keys ("We will authenticate using public/private SSH keys (Algorithm: ed25519)"); the exdef design brief: "delivery only to configured, key-authenticated endpoints". Pinning the server\'s host key stops a man in the middle receiving the data.',
    source: 'IM1 Data Protection Policy (Transmission Mechanism); exdef design brief (Policy 11)',
    triggers: 'output.delivery.sftp.host_key is neither an SSH public key (ssh-ed25519, ssh-rsa, ecdsa-sha2-...) nor its SHA256 fingerprint (SHA256:..., as `ssh-keygen -lf` prints it).',
    defaultSeverity: 'error',
    hard: false,
    messages: { hostKey: 'the SFTP host key "{key}" is neither an SSH public key nor its SHA256 fingerprint: the server could not be authenticated' },
    examples: {
      failing: { yaml: "output:\n  csv: { delimiter: ',', quote: '\"', header: true, line_ending: lf }\n  layout: single_zip\n  delivery:\n    sftp: { host: sftp.example-icb.nhs.uk, user: exdef, directory: /incoming, host_key: trust-me }" },
      passing: {
        yaml: "output:\n  csv: { delimiter: ',', quote: '\"', header: true, line_ending: lf }\n  layout: single_zip\n  delivery:\n    sftp: { host: sftp.example-icb.nhs.uk, user: exdef, directory: /incoming, host_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHmuZOGYiUQVyOsso8SDhx8GmRhsno2oNmuBM0tE5WPg }",
      },
    },
  },
  check({ definition, report, spanAt }) {
    const delivery = definition.output.delivery;
    if (delivery.kind !== 'sftp' || HOST_KEY.test(delivery.hostKey.trim()) || FINGERPRINT.test(delivery.hostKey.trim())) return;
    const span = spanAt('/output/delivery/sftp/host_key');
    report({
      messageId: 'hostKey',
      params: { key: delivery.hostKey.length > 40 ? `${delivery.hostKey.slice(0, 37)}...` : delivery.hostKey },
      ...(span ? { span } : {}),
      hints: ['ask the partner for the fingerprint of its host key (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server: SHA256:...), or the key line itself (ssh-ed25519 AAAAC3...)'],
    });
  },
};
