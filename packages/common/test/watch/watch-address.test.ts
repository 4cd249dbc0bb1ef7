import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { InvalidArgumentError } from '../../src/errors.js';
import { watchAddressToGrpcTarget } from '../../src/watch/watch-address.js';

describe('watchAddressToGrpcTarget', () => {
  it('reads a scheme-less address as http://host:port', () => {
    assert.equal(watchAddressToGrpcTarget('softstore-slicelets:24510'), 'softstore-slicelets:24510');
    assert.equal(watchAddressToGrpcTarget('10.1.2.3:24510'), '10.1.2.3:24510');
  });

  it('keeps only host and port of a URI, whatever the scheme', () => {
    assert.equal(watchAddressToGrpcTarget('https://dicer-assigner:24500'), 'dicer-assigner:24500');
    assert.equal(watchAddressToGrpcTarget('https://Assigner.Example:24500/ignored?x=1'), 'assigner.example:24500');
    assert.equal(watchAddressToGrpcTarget('http://[::1]:24500'), '[::1]:24500');
  });

  it('defaults the port from the scheme', () => {
    assert.equal(watchAddressToGrpcTarget('https://assigner'), 'assigner:443');
    assert.equal(watchAddressToGrpcTarget('assigner'), 'assigner:80');
  });

  it('rejects an address that is not a URI', () => {
    assert.throws(() => watchAddressToGrpcTarget('http://'), InvalidArgumentError);
    assert.throws(() => watchAddressToGrpcTarget('bad host:1'), /watch address is not a valid URI: bad host:1/);
  });
});
