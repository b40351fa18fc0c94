import { Flags } from '@oclif/core';

/** Flags used by more than one command, defined once. */
export const databaseFlag = Flags.string({
  description: 'PostgreSQL URL (postgres://user@host:port/db), pglite:DIR, or memory:. Default: EXDEF_DATABASE_URL, else the embedded database in ./.exdef/pglite',
  helpValue: 'URL',
});

export const catalogueFlag = Flags.string({
  description: "Catalogue file describing the reporting database (default: exdef's reference model)",
  helpValue: 'FILE',
});

export const jsonFlag = Flags.boolean({ description: 'Print a machine-readable JSON result on stdout' });

export const providerFlag = Flags.string({
  description: "The provider's configuration (approvals, trusted keys, delivery). Default: EXDEF_PROVIDER, else ./exdef.provider.yaml",
  helpValue: 'FILE',
});
