// ListMultipartUploads answers, as S3 documents them: how cleanup finds an upload whose id it
// never learned (a CreateMultipartUpload whose answer was lost) by the uploads open at its
// storage key. s3rver cannot list uploads (501), so the documents are S3's own examples.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUploadsPage } from '../src/s3-xml.js';

const page = (uploads: string, tail: string) => `<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>backend</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>${tail}
  <MaxUploads>1000</MaxUploads>${uploads}
</ListMultipartUploadsResult>`;
const upload = (key: string, id: string) =>
  `<Upload><Key>${key}</Key><UploadId>${id}</UploadId><Initiator><ID>x</ID></Initiator><StorageClass>STANDARD</StorageClass><Initiated>2026-12-06T19:00:00.000Z</Initiated></Upload>`;

describe('ListMultipartUploads results', () => {
  it('reads one upload and several (a single <Upload> is still a list)', () => {
    assert.deepEqual(parseUploadsPage(page(upload('b/k!1', 'u1'), '<IsTruncated>false</IsTruncated>')), { uploads: [{ key: 'b/k!1', uploadId: 'u1' }] });
    assert.deepEqual(parseUploadsPage(page(upload('b/k!1', 'u1') + upload('b/k!1', 'u2'), '<IsTruncated>false</IsTruncated>'))?.uploads.map((u) => u.uploadId), ['u1', 'u2']);
    assert.deepEqual(parseUploadsPage(page('', '<IsTruncated>false</IsTruncated>')), { uploads: [] });
  });

  it('decodes url-encoded keys and markers, and gives the markers of the next page', () => {
    const xml = page(upload('b/a+key%21x', 'u1'),
      '<EncodingType>url</EncodingType><NextKeyMarker>b/a+key%21x</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker><IsTruncated>true</IsTruncated>');
    assert.deepEqual(parseUploadsPage(xml), { uploads: [{ key: 'b/a key!x', uploadId: 'u1' }], next: { keyMarker: 'b/a key!x', uploadIdMarker: 'u1' } });
  });

  it('is undefined for any other document (an error answer)', () => {
    assert.equal(parseUploadsPage('<Error><Code>NotImplemented</Code></Error>'), undefined);
    assert.equal(parseUploadsPage('not xml <'), undefined);
  });
});
