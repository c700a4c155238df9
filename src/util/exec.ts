/** Whether an execa result (reject: false) failed because the command is not installed. */
export const commandMissing = (r: unknown) => (r as { code?: string }).code === 'ENOENT';
