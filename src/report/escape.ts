/** Text and attribute values for the report's markup (HTML, SVG, XML). Pure. */
export const escapeMarkup = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
