import { toPostalAddress } from './address.schema';

describe('toPostalAddress', () => {
  const required = { fullName: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

  it('copies the postal fields only, so an address book entry and the same address typed in are alike', () => {
    const entry = { ...required, line2: 'Flat 3', state: 'Greater London', phone: '+44 20 7946 0000', _id: 'a1', isDefault: true };
    expect(toPostalAddress(entry)).toEqual({ ...required, line2: 'Flat 3', state: 'Greater London', phone: '+44 20 7946 0000' });
    const typedIn = { fullName: 'Ada Lovelace', line1: '12 St James Sq', line2: 'Flat 3', city: 'London', state: 'Greater London', postalCode: 'SW1Y 4JH', country: 'GB', phone: '+44 20 7946 0000' };
    // Same key order too: checkout fingerprints the JSON of the copy.
    expect(JSON.stringify(toPostalAddress(typedIn))).toBe(JSON.stringify(toPostalAddress(entry)));
  });

  it('leaves out optional lines that are empty or cleared', () => {
    expect(toPostalAddress({ ...required, line2: '', state: null, phone: undefined })).toEqual(required);
    expect(Object.keys(toPostalAddress({ ...required, line2: null }))).toEqual(['fullName', 'line1', 'city', 'postalCode', 'country']);
  });
});
