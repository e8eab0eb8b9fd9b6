import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DOCUMENT_TYPES, detectDocumentType } from '../../src/lib/document-type.ts';
import { docx, jpeg, odt, pdf, png, storedZip, xlsx } from '../modules/applications/files.ts';

/** A document's type is read from its content: a name or a claimed type counts for nothing. */
t.test('each type taken is known by its content, and nothing else is taken', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'doctype-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const typeOf = async (content: Buffer) => {
    const path = join(dir, `f${Math.random()}`);
    writeFileSync(path, content);
    return detectDocumentType(path);
  };
  t.equal(await typeOf(pdf()), DOCUMENT_TYPES.pdf);
  t.equal(await typeOf(png()), DOCUMENT_TYPES.png);
  t.equal(await typeOf(jpeg()), DOCUMENT_TYPES.jpeg);
  t.equal(await typeOf(docx()), DOCUMENT_TYPES.docx);
  t.equal(await typeOf(xlsx()), DOCUMENT_TYPES.xlsx);
  t.equal(await typeOf(odt()), DOCUMENT_TYPES.odt);
  t.equal(await typeOf(Buffer.from('<html><script>alert(1)</script>')), undefined, 'HTML is refused');
  t.equal(await typeOf(Buffer.from('MZ\x90\x00')), undefined, 'a program is refused');
  t.equal(await typeOf(Buffer.alloc(0)), undefined, 'an empty file is refused');
  t.equal(await typeOf(storedZip([['evil.exe', 'MZ']])), undefined, 'a zip of something else is refused');
  t.equal(
    await typeOf(
      storedZip([
        ['[Content_Types].xml', '<Types/>'],
        ['ppt/presentation.xml', '<p/>'],
      ]),
    ),
    undefined,
    'an Office file of another kind is refused',
  );
  t.equal(
    await typeOf(
      storedZip([
        ['mimetype', 'application/vnd.oasis.opendocument.spreadsheet'],
        ['content.xml', ''],
      ]),
    ),
    undefined,
    'an OpenDocument spreadsheet is not an ODT',
  );
  t.equal(await typeOf(Buffer.from('PK\x03\x04 cut off')), undefined, 'a zip with no directory is refused');
});
