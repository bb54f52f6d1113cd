import { plainToInstance } from 'class-transformer';
import { IsString, Length, MaxLength, validateSync } from 'class-validator';
import { Trim } from './transforms';

class Named {
  @Trim()
  @IsString()
  @Length(1, 5)
  name!: string;

  @Trim()
  @IsString({ each: true })
  @MaxLength(4, { each: true })
  tags!: string[];

  @Trim()
  @IsString()
  free!: string;
}

const errorsOf = (plain: object) => validateSync(plainToInstance(Named, plain)).map((error) => error.property);

describe('Trim', () => {
  it('trims values within the limit, and strings of a field without one', () => {
    const named = plainToInstance(Named, { name: '  abc', tags: [' ab ', 'cd'], free: `  ${'x'.repeat(50)}  ` });
    expect(named).toMatchObject({ name: 'abc', tags: ['ab', 'cd'], free: 'x'.repeat(50) });
    expect(errorsOf({ name: ' abc ', tags: [' abc'], free: ' y ' })).toEqual([]);
  });

  it('leaves a value longer than the limit as sent, so that whitespace cannot make it fit', () => {
    expect(plainToInstance(Named, { name: '\fabcde', tags: [], free: '' }).name).toBe('\fabcde');
    expect(errorsOf({ name: '\fabcde', tags: [], free: '' })).toEqual(['name']);
    expect(errorsOf({ name: 'a', tags: [' abcd '], free: '' })).toEqual(['tags']);
  });
});
