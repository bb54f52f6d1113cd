import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '@app/common';
import { CreateAddressDto, UpdateAddressDto } from './dto/address.dto';
import { Address } from './schemas/address.schema';
import { UserDocument } from './schemas/user.schema';
import { UsersService } from './users.service';

export const MAX_ADDRESSES = 20;

/**
 * A user's address book, embedded in the user document: the rules here, the write in
 * UsersService (the users collection's one writer). Every change is a read-modify-save guarded
 * by the document version, so concurrent edits cannot leave two default addresses.
 */
@Injectable()
export class AddressesService {
  constructor(private readonly users: UsersService) {}

  async list(userId: string): Promise<Address[]> {
    return (await this.loadUser(userId)).addresses;
  }

  async get(userId: string, addressId: string): Promise<Address> {
    return this.findAddress(await this.loadUser(userId), addressId);
  }

  async add(userId: string, dto: CreateAddressDto): Promise<Address> {
    const user = await this.loadUser(userId);
    if (user.addresses.length >= MAX_ADDRESSES) {
      throw new InvalidInputError(`An address book holds at most ${MAX_ADDRESSES} addresses`);
    }
    const makeDefault = dto.isDefault === true || user.addresses.length === 0;
    if (makeDefault) clearDefault(user);
    user.addresses.push({ ...dto, isDefault: makeDefault } as Address);
    await this.users.saveAddressBook(user);
    return user.addresses[user.addresses.length - 1];
  }

  async update(userId: string, addressId: string, dto: UpdateAddressDto): Promise<Address> {
    const user = await this.loadUser(userId);
    const address = this.findAddress(user, addressId);
    const { isDefault, ...fields } = dto;
    if (isDefault === true) clearDefault(user);
    Object.assign(address, fields);
    // Unsetting the only default is allowed: the user then simply has none.
    if (isDefault !== undefined) address.isDefault = isDefault;
    await this.users.saveAddressBook(user);
    return address;
  }

  async remove(userId: string, addressId: string): Promise<void> {
    const user = await this.loadUser(userId);
    const address = this.findAddress(user, addressId);
    user.addresses = user.addresses.filter((candidate) => candidate !== address);
    if (address.isDefault && user.addresses.length > 0) user.addresses[0].isDefault = true;
    await this.users.saveAddressBook(user);
  }

  private loadUser(userId: string): Promise<UserDocument> {
    return this.users.getById(userId);
  }

  /** Someone else's address id is indistinguishable from a missing one (404). */
  private findAddress(user: UserDocument, addressId: string): Address {
    const address = user.addresses.find((candidate) => candidate._id.toString() === addressId);
    if (!address) throw new NotFoundError('Address not found');
    return address;
  }
}

function clearDefault(user: UserDocument): void {
  for (const address of user.addresses) address.isDefault = false;
}
