import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Error as MongooseError, Model } from 'mongoose';
import { InvalidInputError, StateConflictError, NotFoundError } from '@app/common';
import { CreateAddressDto, UpdateAddressDto } from './dto/address.dto';
import { Address, User, UserDocument } from './schemas/user.schema';

export const MAX_ADDRESSES = 20;

/**
 * A user's address book, embedded in the user document. Every change is a read-modify-save
 * guarded by the document version, so concurrent edits cannot leave two default addresses.
 */
@Injectable()
export class AddressesService {
  constructor(@InjectModel(User.name) private readonly users: Model<User>) {}

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
    await this.save(user);
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
    await this.save(user);
    return address;
  }

  async remove(userId: string, addressId: string): Promise<void> {
    const user = await this.loadUser(userId);
    const address = this.findAddress(user, addressId);
    user.addresses = user.addresses.filter((candidate) => candidate !== address);
    if (address.isDefault && user.addresses.length > 0) user.addresses[0].isDefault = true;
    await this.save(user);
  }

  private async loadUser(userId: string): Promise<UserDocument> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundError('User not found');
    return user;
  }

  /** Someone else's address id is indistinguishable from a missing one (404). */
  private findAddress(user: UserDocument, addressId: string): Address {
    const address = user.addresses.find((candidate) => candidate._id.toString() === addressId);
    if (!address) throw new NotFoundError('Address not found');
    return address;
  }

  private async save(user: UserDocument): Promise<void> {
    try {
      await user.save();
    } catch (error) {
      if (error instanceof MongooseError.VersionError) {
        throw new StateConflictError('The address book was changed by another request; try again');
      }
      throw error;
    }
  }
}

function clearDefault(user: UserDocument): void {
  for (const address of user.addresses) address.isDefault = false;
}
