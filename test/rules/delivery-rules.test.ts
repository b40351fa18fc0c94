import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const sftp = (hostKey: string) => variant(phm, '  layout: per_practice\n', `  layout: per_practice\n  delivery:\n    sftp:\n      host: sftp.example-icb.nhs.uk\n      user: exdef\n      directory: /incoming/gp\n      host_key: ${hostKey}\n`);

testRule('delivery-authenticated', {
  valid: [
    { name: 'no delivery (left in the output directory)', text: phm },
    { name: 'an ed25519 host key', text: sftp('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHmuZOGYiUQVyOsso8SDhx8GmRhsno2oNmuBM0tE5WPg') },
    { name: "the key's SHA256 fingerprint, as ssh-keygen -lf prints it", text: sftp('SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s') },
    { name: 'an RSA host key with a comment', text: sftp('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 sftp.example-icb.nhs.uk') },
  ],
  invalid: [
    { name: 'a password in place of a key', text: sftp('⟦hunter2'), findings: [{ message: /^the SFTP host key "hunter2" is neither an SSH public key nor its SHA256 fingerprint/ }] },
    { name: 'a truncated fingerprint', text: sftp('⟦SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZ'), findings: [{}] },
    { name: 'an MD5 fingerprint (not pinned strongly enough)', text: sftp('⟦MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48'), findings: [{}] },
  ],
});

testRule('processing-in-uk', {
  valid: [
    { name: 'the default (UK)', text: phm },
    { name: 'stated as UK', text: variant(phm, 'dpia: DPIA-2026-031', 'dpia: DPIA-2026-031\nprocessing_location: uk') },
  ],
  invalid: [{ name: 'processed elsewhere', text: variant(phm, 'dpia: DPIA-2026-031', 'dpia: DPIA-2026-031\nprocessing_location: ⟦elsewhere'), findings: [{ message: /outside the United Kingdom/ }] }],
});
